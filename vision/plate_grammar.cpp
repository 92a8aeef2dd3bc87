#include "vision/plate_grammar.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <utility>

namespace vg::vision {
namespace {

bool isDigitText(const std::string& s) { return s.size() == 1 && s[0] >= '0' && s[0] <= '9'; }
bool isLetterText(const std::string& s) { return s.size() == 1 && s[0] >= 'A' && s[0] <= 'Z'; }
bool isSerialLetterText(const std::string& s) { return isLetterText(s) && s[0] != 'I' && s[0] != 'O'; }

}  // namespace

std::string_view decodeErrorName(DecodeError error) {
    switch (error) {
        case DecodeError::BadShape:
            return "bad_shape";
        case DecodeError::NoPlate:
            return "no_plate";
    }
    return "unknown";
}

PlateGrammar::PlateGrammar(std::vector<std::string> charset, int blank, GrammarOptions options)
    : charset_(std::move(charset)), blank_(blank), options_(options) {
    const auto classes = static_cast<int>(charset_.size());
    if (classes < 2 || blank_ < 0 || blank_ >= classes) {
        throw std::invalid_argument("plate grammar: charset needs at least two classes and a blank inside it");
    }
    if (options_.beam_width < 1) options_.beam_width = 1;

    using Slot = std::vector<std::uint8_t>;
    auto slotOf = [&](auto pred) {
        Slot slot(charset_.size(), 0);
        for (int c = 0; c < classes; ++c) {
            if (c != blank_ && pred(charset_[static_cast<std::size_t>(c)])) slot[static_cast<std::size_t>(c)] = 1;
        }
        return slot;
    };
    auto isProvince = [](const std::string& s) { return plate::findIssuer(s) != nullptr; };
    auto exactly = [&](std::string_view want) { return slotOf([want](const std::string& s) { return s == want; }); };

    const Slot province = slotOf(isProvince);
    const Slot letter = slotOf([](const std::string& s) { return isLetterText(s) && s != "I"; });
    const Slot alnum = slotOf([](const std::string& s) { return isDigitText(s) || isSerialLetterText(s); });
    const Slot digit = slotOf(isDigitText);
    const Slot df = slotOf([](const std::string& s) { return s == "D" || s == "F"; });

    isLetter_ = slotOf(isLetterText);
    issuer_.assign(charset_.size(), {});
    for (const plate::Issuer& iss : plate::issuers()) {
        for (int c = 0; c < classes; ++c) {
            if (charset_[static_cast<std::size_t>(c)] != iss.province) continue;
            issuer_[static_cast<std::size_t>(c)] = slotOf([&](const std::string& s) {
                return isLetterText(s) && (s == "O" || iss.letters.find(s[0]) != std::string_view::npos);
            });
        }
    }

    auto add = [&](PlateKind kind, std::vector<Slot> slots, bool issuer, int maxLetters) {
        // A template whose fixed characters are missing from the charset can never match: leave it out.
        if (std::ranges::any_of(slots,
                                [](const Slot& s) { return std::ranges::none_of(s, [](auto v) { return v; }); })) {
            return;
        }
        templates_.push_back(Template{kind, std::move(slots), issuer, maxLetters});
    };
    add(PlateKind::Standard, {province, letter, alnum, alnum, alnum, alnum, alnum}, true, 2);
    add(PlateKind::NewEnergySmall, {province, letter, df, alnum, digit, digit, digit, digit}, true, -1);
    add(PlateKind::NewEnergyLarge, {province, letter, digit, digit, digit, digit, digit, df}, true, -1);
    if (options_.accept_special) {
        add(PlateKind::Coach, {province, letter, alnum, alnum, alnum, alnum, exactly("学")}, true, 2);
        add(PlateKind::Police, {province, letter, alnum, alnum, alnum, alnum, exactly("警")}, true, 2);
        add(PlateKind::Trailer, {province, letter, alnum, alnum, alnum, alnum, exactly("挂")}, true, 2);
        add(PlateKind::Consulate, {province, letter, alnum, alnum, alnum, alnum, exactly("领")}, true, 2);
        add(PlateKind::HongKong, {exactly("粤"), exactly("Z"), alnum, alnum, alnum, alnum, exactly("港")}, false, 2);
        add(PlateKind::Macau, {exactly("粤"), exactly("Z"), alnum, alnum, alnum, alnum, exactly("澳")}, false, 2);
        add(PlateKind::Embassy, {exactly("使"), digit, digit, digit, digit, digit, digit}, false, -1);
    }
    if (templates_.empty()) {
        throw std::invalid_argument("plate grammar: the charset cannot spell any plate");
    }
}

bool PlateGrammar::allows(const Template& tpl, const std::vector<int>& prefix, int cls) const {
    const std::size_t pos = prefix.size();
    if (pos >= tpl.slots.size() || tpl.slots[pos][static_cast<std::size_t>(cls)] == 0) return false;
    if (pos == 1 && tpl.issuer_at_second) {
        const auto& allowed = issuer_[static_cast<std::size_t>(prefix[0])];
        if (options_.issuer_letters) {
            if (allowed.empty() || allowed[static_cast<std::size_t>(cls)] == 0) return false;
        } else if (charset_[static_cast<std::size_t>(cls)] == "O" && tpl.kind != PlateKind::Police) {
            return false;
        }
    }
    if (pos >= 2 && tpl.max_serial_letters >= 0 && isLetter_[static_cast<std::size_t>(cls)] != 0) {
        int letters = 1;
        for (std::size_t i = 2; i < pos; ++i) letters += isLetter_[static_cast<std::size_t>(prefix[i])];
        if (letters > tpl.max_serial_letters) return false;
    }
    return true;
}

std::string PlateGrammar::greedy(const cv::Mat& probs) const {
    std::string out;
    int last = blank_;
    for (int t = 0; t < probs.rows; ++t) {
        cv::Point maxLoc;
        cv::minMaxLoc(probs.row(t), nullptr, nullptr, nullptr, &maxLoc);
        if (maxLoc.x != blank_ && maxLoc.x != last) out += charset_[static_cast<std::size_t>(maxLoc.x)];
        last = maxLoc.x;
    }
    return out;
}

std::expected<PlateKind, DecodeError> PlateGrammar::classify(std::string_view text) const {
    std::vector<int> labels;
    for (const std::string& ch : splitUtf8(text)) {
        const auto it = std::ranges::find(charset_, ch);
        if (it == charset_.end()) return std::unexpected(DecodeError::NoPlate);
        labels.push_back(static_cast<int>(it - charset_.begin()));
    }
    for (const Template& tpl : templates_) {
        if (tpl.slots.size() != labels.size()) continue;
        std::vector<int> prefix;
        bool ok = true;
        for (int cls : labels) {
            if (!allows(tpl, prefix, cls)) {
                ok = false;
                break;
            }
            prefix.push_back(cls);
        }
        if (ok) return tpl.kind;
    }
    return std::unexpected(DecodeError::NoPlate);
}

std::expected<PlateDecode, DecodeError> PlateGrammar::decode(const cv::Mat& probs, int onlyLength) const {
    const int classes = static_cast<int>(charset_.size());
    if (probs.empty() || probs.type() != CV_32F || probs.cols != classes || probs.dims != 2) {
        return std::unexpected(DecodeError::BadShape);
    }
    // CTC prefix beam search in which a prefix may only grow along a template that is still alive.
    struct Beam {
        double pb = 0.0;   // probability of the prefix ending in a blank
        double pnb = 0.0;  // ... ending in its last label
        std::uint32_t alive = 0;
        double total() const { return pb + pnb; }
    };
    std::uint32_t allTemplates = 0;
    for (std::size_t k = 0; k < templates_.size(); ++k) {
        if (onlyLength <= 0 || static_cast<int>(templates_[k].slots.size()) == onlyLength) allTemplates |= 1U << k;
    }
    if (allTemplates == 0) return std::unexpected(DecodeError::NoPlate);
    std::map<std::vector<int>, Beam> beams;
    beams[{}] = Beam{1.0, 0.0, allTemplates};
    double logScale = 0.0;
    // Only the few most probable classes of a step can start a prefix that survives the beam; the rest would cost
    // most of the time for nothing.
    constexpr float kSkip = 1e-5F;
    constexpr int kTopClasses = 10;
    std::vector<int> order(static_cast<std::size_t>(classes));
    std::vector<int> candidates;

    for (int t = 0; t < probs.rows; ++t) {
        const float* y = probs.ptr<float>(t);
        for (int c = 0; c < classes; ++c) order[static_cast<std::size_t>(c)] = c;
        const int top = std::min(kTopClasses, classes);
        std::partial_sort(order.begin(), order.begin() + top, order.end(), [y](int a, int b) { return y[a] > y[b]; });
        candidates.clear();
        for (int i = 0; i < top; ++i) {
            const int c = order[static_cast<std::size_t>(i)];
            if (c != blank_ && y[c] >= kSkip) candidates.push_back(c);
        }
        std::map<std::vector<int>, Beam> next;
        for (const auto& [prefix, beam] : beams) {
            Beam& same = next[prefix];
            same.alive = beam.alive;
            same.pb += beam.total() * y[blank_];
            if (!prefix.empty()) same.pnb += beam.pnb * y[prefix.back()];
            for (int c : candidates) {
                std::uint32_t alive = 0;
                for (std::size_t k = 0; k < templates_.size(); ++k) {
                    if ((beam.alive >> k & 1U) != 0 && allows(templates_[k], prefix, c)) alive |= 1U << k;
                }
                if (alive == 0) continue;
                std::vector<int> longer = prefix;
                longer.push_back(c);
                Beam& grown = next[longer];
                grown.alive = alive;
                // A repeated label needs a blank between the two copies; without one it extends `same` (above).
                grown.pnb += (!prefix.empty() && prefix.back() == c ? beam.pb : beam.total()) * y[c];
            }
        }
        std::vector<std::pair<std::vector<int>, Beam>> ranked(next.begin(), next.end());
        const auto keep = std::min<std::size_t>(ranked.size(), static_cast<std::size_t>(options_.beam_width));
        std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep), ranked.end(),
                          [](const auto& a, const auto& b) { return a.second.total() > b.second.total(); });
        ranked.resize(keep);
        const double best = ranked.empty() ? 0.0 : ranked.front().second.total();
        if (!(best > 0.0)) return std::unexpected(DecodeError::NoPlate);
        beams.clear();
        for (auto& [prefix, beam] : ranked) {
            beam.pb /= best;
            beam.pnb /= best;
            beams.emplace(std::move(prefix), beam);
        }
        logScale += std::log(best);
    }

    const std::vector<int>* best = nullptr;
    double bestP = 0.0;
    PlateKind kind = PlateKind::Standard;
    for (const auto& [prefix, beam] : beams) {
        for (std::size_t k = 0; k < templates_.size(); ++k) {
            if ((beam.alive >> k & 1U) == 0 || templates_[k].slots.size() != prefix.size()) continue;
            if (beam.total() > bestP) {
                bestP = beam.total();
                best = &prefix;
                kind = templates_[k].kind;
            }
            break;
        }
    }
    if (best == nullptr) return std::unexpected(DecodeError::NoPlate);

    PlateDecode out;
    for (int c : *best) out.text += charset_[static_cast<std::size_t>(c)];
    out.kind = kind;
    out.log_prob = std::log(bestP) + logScale;
    out.char_confidence = alignConfidence(probs, *best);
    out.confidence = out.char_confidence.empty() ? 0.0F : std::ranges::min(out.char_confidence);
    return out;
}

std::vector<float> PlateGrammar::alignConfidence(const cv::Mat& probs, const std::vector<int>& labels) const {
    // Viterbi over the CTC state sequence blank,l1,blank,l2,...,blank; then per label the peak probability of its
    // class over the timesteps the best alignment spends in that label's state.
    const int steps = probs.rows;
    const int states = 2 * static_cast<int>(labels.size()) + 1;
    constexpr double kNeg = -std::numeric_limits<double>::infinity();
    auto label = [&](int s) { return s % 2 == 0 ? blank_ : labels[static_cast<std::size_t>(s / 2)]; };
    auto logp = [&](int t, int s) {
        return std::log(std::max(static_cast<double>(probs.at<float>(t, label(s))), 1e-30));
    };
    std::vector<double> score(static_cast<std::size_t>(states), kNeg);
    std::vector<int> from(static_cast<std::size_t>(steps * states), -1);
    score[0] = logp(0, 0);
    if (states > 1) score[1] = logp(0, 1);
    for (int t = 1; t < steps; ++t) {
        std::vector<double> now(static_cast<std::size_t>(states), kNeg);
        for (int s = 0; s < states; ++s) {
            int arg = s;
            double v = score[static_cast<std::size_t>(s)];
            if (s >= 1 && score[static_cast<std::size_t>(s - 1)] > v) {
                v = score[static_cast<std::size_t>(s - 1)];
                arg = s - 1;
            }
            if (s >= 2 && s % 2 == 1 && label(s) != label(s - 2) && score[static_cast<std::size_t>(s - 2)] > v) {
                v = score[static_cast<std::size_t>(s - 2)];
                arg = s - 2;
            }
            if (v == kNeg) continue;
            now[static_cast<std::size_t>(s)] = v + logp(t, s);
            from[static_cast<std::size_t>(t * states + s)] = arg;
        }
        score = std::move(now);
    }
    int s = states - 1;
    if (states > 1 && score[static_cast<std::size_t>(states - 2)] > score[static_cast<std::size_t>(s)]) s = states - 2;
    std::vector<float> conf(labels.size(), 0.0F);
    if (score[static_cast<std::size_t>(s)] == kNeg) return conf;  // more labels than timesteps: nothing aligns
    for (int t = steps - 1; t >= 0; --t) {
        if (s % 2 == 1) {
            float& c = conf[static_cast<std::size_t>(s / 2)];
            c = std::max(c, probs.at<float>(t, label(s)));
        }
        if (t > 0) s = from[static_cast<std::size_t>(t * states + s)];
    }
    return conf;
}

}  // namespace vg::vision
