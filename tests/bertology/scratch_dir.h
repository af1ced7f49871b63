// The bertology/ tests' scratch folder: the shared TempDir (tests/temp_dir.h) under the name
// these tests use.
#pragma once
#include "temp_dir.h"

namespace bertology::workflow_testing {

using ScratchDir = test_support::TempDir;

}  // namespace bertology::workflow_testing
