// voucher-gate: the admin CLI for the committee, property management and the guard (PRODUCT.md).
#include "cli/cli_app.h"

int main(int argc, char** argv) { return vg::cli::run(argc, argv); }
