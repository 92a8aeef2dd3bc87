// Pieces shared by the gate-frame generators of vg_sim (frame_synth.h: single card-camera frames; phone_synth.h:
// passes of a phone held to the card camera): random draws, generated backgrounds, the card camera's lens, blur
// kernels, sensor noise, the JPEG round trip, and the cards carrying real tokens. Internal to vg_sim.
#pragma once

#include <cstdint>
#include <expected>
#include <opencv2/core.hpp>
#include <random>
#include <string>
#include <vector>

#include "cards/cards_pdf.h"

namespace vg::sim::parts {

inline constexpr double kPi = 3.14159265358979323846;

using Rng = std::mt19937_64;

inline double uni(Rng& r, double a, double b) { return std::uniform_real_distribution<double>(a, b)(r); }
inline bool chance(Rng& r, double p) { return uni(r, 0, 1) < p; }
inline cv::Scalar colour(Rng& r, double lo = 0, double hi = 255) {
    return {uni(r, lo, hi), uni(r, lo, hi), uni(r, lo, hi)};
}

// Backgrounds: gradients, value noise (drawn from `noise`), clutter shapes and text; with `finder_like_clutter`
// also nested squares and checkerboards, what a QR finder search can mistake for a code. No third-party images.
cv::Mat background(cv::Size size, Rng& r, bool finder_like_clutter, cv::RNG& noise);

// Rotation about x (pitch), then y (yaw), then z (roll), radians.
cv::Matx33d rotation(double pitch, double yaw, double roll);

// The card camera's focal length in pixels: its lens gives 4.5-5.5 px per QR module of a printed card at 1.2 m
// (PRODUCT.md "Deployment"), whatever the sensor's resolution. One draw from `r`.
double cardCameraFocalPx(Rng& r);

// A disk (defocus) of `radius` px and a line (motion) of `length` px at `angle` radians, applied in place.
void defocusBlur(cv::Mat& img, double radius);
void motionBlur(cv::Mat& img, double length, double angle);

// Gaussian sensor noise of `sigma` grey levels on an 8-bit BGR image, drawn from `noise`.
void addNoise(cv::Mat& img, double sigma, cv::RNG& noise);

// Encodes as JPEG at `quality` and decodes again: what a camera (or an MJPEG stream) delivers.
cv::Mat jpegRoundTrip(const cv::Mat& img, int quality);

// `count` real tokens (serials 1000 + 37 i + seed % 1000, month 2026-11) under a key ring derived from `seed`
// (gate/key_ring.cpp's file format with a secret drawn from the seed), as the cards that carry them.
std::expected<std::vector<cards::CardSpec>, std::string> synthCards(std::uint64_t seed, int count);

}  // namespace vg::sim::parts
