// The voucher-gate command line: parses arguments, runs one command, returns the process exit status of
// PRODUCT.md (0 ok and ADMIT_*/RELEASE_*, 3 DENY_*/HOLD_* and refusals by a rule, 2 bad command line or
// unreadable input, 1 internal error). Output goes to the given streams; never throws.
#pragma once

#include <iosfwd>

namespace vg::cli {

int run(int argc, char** argv);
int run(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace vg::cli
