// The library's exception type and a helper to build messages from pieces.
// The library never prints or exits on bad input: it throws, and the CLI reports one line.
#pragma once
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace bertology {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// concat("matmul: ", a, " vs ", b) -> one string; anything with operator<< works.
template <class... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

// "[2, 3, 4]"
std::string shape_str(const std::vector<int64_t>& shape);

}  // namespace bertology
