// StillScene: whether a camera's view has changed since a remembered frame. A gate camera looks at an empty lane
// most of the day, and searching a view that has not changed since a search that found no plate finds no plate
// again: the daemon's plate reader skips such frames (daemon/plate_seer.cpp) and spends the core on the frames in
// which a car arrives.
//
// The frame (or its region) is shrunk by area averaging to a grey thumbnail of one value per `cell` x `cell` pixels,
// which averages sensor noise and compression blocks away (a 16x16 cell divides the noise's spread by 16); a cell
// has changed when its mean moved by more than `cell_change` grey levels. A plate of 100 px covers about a dozen
// cells of 16 px, a car hundreds: `changed_cells` is far below either and far above what noise moves. A new exposure
// (a cloud, the lights at dusk) moves every cell and counts as a change. Plain value; not thread-safe.
#pragma once

#include <opencv2/core.hpp>

namespace vg::vision {

struct StillSceneOptions {
    int cell = 16;            // frame pixels per thumbnail cell, each way
    double cell_change = 10;  // grey levels a cell's mean must move by to have changed
    int changed_cells = 4;    // this many changed cells or more: the view has changed
};

class StillScene {
  public:
    explicit StillScene(StillSceneOptions options = {}) : options_(options) {}

    // The thumbnail of `frame`'s `roi` (the whole frame when roi is empty; clipped to the frame). Grey or BGR.
    cv::Mat thumbnail(const cv::Mat& frame, cv::Rect roi = {}) const;
    // Whether `thumb` differs from the remembered one: true when nothing is remembered or the sizes differ.
    bool changed(const cv::Mat& thumb) const;
    void remember(cv::Mat thumb) { reference_ = std::move(thumb); }
    void forget() { reference_.release(); }

  private:
    StillSceneOptions options_;
    cv::Mat reference_;  // CV_8U thumbnail; empty = nothing remembered
};

}  // namespace vg::vision
