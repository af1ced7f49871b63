// The Python a test runs for numpy checks: the first with numpy of the one on PATH and the
// system's (Debian python3-numpy); "" when neither has it (the test then skips, saying why).
#pragma once
#include <cstdlib>
#include <string>

namespace bertology::test_support {

inline std::string python_with_numpy() {
  for (const char* candidate : {"python3", "/usr/bin/python3"}) {
    const std::string probe = std::string(candidate) + " -c 'import numpy' > /dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return candidate;
  }
  return "";
}

}  // namespace bertology::test_support
