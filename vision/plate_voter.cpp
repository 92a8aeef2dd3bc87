#include "vision/plate_voter.h"

#include <algorithm>
#include <array>
#include <map>
#include <numeric>

#include "vision/plate_grammar.h"

namespace vg::vision {

PlateVoter::PlateVoter(VoterOptions options) : options_(options) {}

void PlateVoter::add(std::string_view text, std::span<const float> charConfidence, std::string_view colour) {
    Read read{splitUtf8(text), {}, std::string(colour)};
    if (read.chars.empty()) return;
    const float lowest = charConfidence.empty() ? 0.0F : std::ranges::min(charConfidence);
    for (std::size_t i = 0; i < read.chars.size(); ++i) {
        read.conf.push_back(i < charConfidence.size() ? charConfidence[i] : lowest);
    }
    if (std::ranges::min(read.conf) < options_.min_frame_confidence) return;
    reads_.push_back(std::move(read));
}

void PlateVoter::reset() { reads_.clear(); }

std::optional<VotedPlate> PlateVoter::leader() const {
    if (reads_.empty()) return std::nullopt;
    // Length by majority (ties: the larger total confidence), then each position by confidence-weighted vote among
    // the reads of that length. Reads of another length are not aligned position by position: an 8-character green
    // plate read as 7 would shift every character after the missing one.
    std::map<std::size_t, std::pair<int, float>> lengths;
    for (const Read& r : reads_) {
        auto& [count, weight] = lengths[r.chars.size()];
        ++count;
        for (float c : r.conf) weight += c;
    }
    const auto len = std::ranges::max_element(lengths, [](const auto& a, const auto& b) {
                         return a.second.first != b.second.first ? a.second.first < b.second.first
                                                                 : a.second.second < b.second.second;
                     })->first;

    VotedPlate out;
    out.frames = static_cast<int>(reads_.size());
    out.agreeing = out.frames;
    for (std::size_t pos = 0; pos < len; ++pos) {
        std::map<std::string, std::vector<float>> votes;  // char -> the confidences of the frames that read it
        for (const Read& r : reads_) {
            if (r.chars.size() != len) continue;
            votes[r.chars[pos]].push_back(r.conf[pos]);
        }
        const auto summed = [](const std::vector<float>& v) { return std::accumulate(v.begin(), v.end(), 0.0F); };
        const auto win = std::ranges::max_element(
            votes, [&](const auto& a, const auto& b) { return summed(a.second) < summed(b.second); });
        // The character's confidence: the mean of its best min_frames frames. A weaker frame that agrees adds
        // agreement; it must not turn three confident frames into a doubtful character.
        std::vector<float> best = win->second;
        const auto k = std::min(best.size(), static_cast<std::size_t>(std::max(1, options_.min_frames)));
        std::ranges::partial_sort(best, best.begin() + static_cast<std::ptrdiff_t>(k), std::ranges::greater{});
        out.text += win->first;
        out.char_confidence.push_back(
            std::accumulate(best.begin(), best.begin() + static_cast<std::ptrdiff_t>(k), 0.0F) / static_cast<float>(k));
        out.agreeing = std::min(out.agreeing, static_cast<int>(win->second.size()));
    }
    out.confidence = std::ranges::min(out.char_confidence);

    std::map<std::string, int> colours;
    for (const Read& r : reads_) {
        std::string joined;
        for (const auto& ch : r.chars) joined += ch;
        if (!r.colour.empty() && joined == out.text) ++colours[r.colour];
    }
    if (!colours.empty()) {
        out.colour =
            std::ranges::max_element(colours, [](const auto& a, const auto& b) { return a.second < b.second; })->first;
    }
    return out;
}

std::optional<VotedPlate> PlateVoter::voted() const {
    auto lead = leader();
    if (!lead) return std::nullopt;
    const bool enough =
        lead->agreeing >= options_.min_frames &&
        static_cast<float>(lead->agreeing) >= options_.min_agreement * static_cast<float>(lead->frames) &&
        lead->confidence >= options_.min_confidence;
    if (!enough) return std::nullopt;
    return lead;
}

bool confusable(std::string_view a, std::string_view b) {
    static constexpr std::array<std::string_view, 6> kGroups{"0DQ", "8B", "2Z", "5S", "1I7", "A4"};
    if (a.size() != 1 || b.size() != 1 || a == b) return false;
    return std::ranges::any_of(kGroups, [&](std::string_view g) {
        return g.find(a[0]) != std::string_view::npos && g.find(b[0]) != std::string_view::npos;
    });
}

std::optional<std::string> matchInside(std::string_view read, std::span<const std::string> inside) {
    if (read.empty()) return std::nullopt;
    if (std::ranges::find(inside, read) != inside.end()) return std::string(read);
    const auto chars = splitUtf8(read);
    const std::string* found = nullptr;
    for (const std::string& plate : inside) {
        const auto other = splitUtf8(plate);
        if (other.size() != chars.size()) continue;
        int diffs = 0;
        bool allConfusable = true;
        for (std::size_t i = 0; i < chars.size(); ++i) {
            if (chars[i] == other[i]) continue;
            ++diffs;
            allConfusable = allConfusable && confusable(chars[i], other[i]);
        }
        if (diffs != 1 || !allConfusable) continue;
        if (found != nullptr) return std::nullopt;
        found = &plate;
    }
    if (found == nullptr) return std::nullopt;
    return *found;
}

}  // namespace vg::vision
