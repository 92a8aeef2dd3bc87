// `voucher-gate scan IMAGE... [--json]`: what the vision pipeline sees in still images (every QR code, and the
// plates once the plate reader is wired in). Needs no config or database. One line (JSON object with --json) per
// image, in the order given; an image that is missing, unreadable or not an image is reported on its own line
// with a reason and the command goes on with the rest.
// Exit status: 0 when every image could be read (whether or not it holds a code); 2 when at least one input file
// could not be read (PRODUCT.md: "2 an unreadable input file"), even if the others were scanned.
// `clock` times each image (the "ms" it reports). Single-threaded; never throws.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "vision/frame_source.h"

namespace vg::cli {

int runScan(const std::vector<std::string>& images, bool json, std::ostream& out, std::ostream& err,
            const vision::FrameClock& clock);

}  // namespace vg::cli
