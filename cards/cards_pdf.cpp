#include "cards/cards_pdf.h"

#include <ZXing/BitMatrix.h>
#include <ZXing/MultiFormatWriter.h>
#include <cairo-pdf.h>
#include <cairo.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <opencv2/imgproc.hpp>

namespace vg::cards {
namespace {

constexpr double kA4WidthMm = 210.0;
constexpr double kA4HeightMm = 297.0;
constexpr int kColumns = 2;
constexpr int kRows = 2;
constexpr double kPtPerMm = 72.0 / 25.4;
constexpr const char* kFont = "Noto Sans CJK SC";
// zxing-cpp 1.4's writer maps its 0..8 scale onto L/M/Q/H as (level - 1) / 2: 5 and 6 are Q (checked by a test
// that decodes the symbol and reads its level back).
constexpr int kZxingEccQ = 6;

struct CairoDeleter {
    void operator()(cairo_t* cr) const { cairo_destroy(cr); }
    void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
using CairoPtr = std::unique_ptr<cairo_t, CairoDeleter>;
using SurfacePtr = std::unique_ptr<cairo_surface_t, CairoDeleter>;

std::string monthText(const gate::YearMonth& m) {
    return std::to_string(m.year) + "年" + std::to_string(m.month) + "月";
}

std::string stayText(std::chrono::minutes stay) {
    const auto h = stay.count() / 60;
    const auto m = stay.count() % 60;
    std::string s;
    if (h > 0) s += std::to_string(h) + "小时";
    if (m > 0) s += std::to_string(m) + "分钟";
    if (s.empty()) s = "0分钟";
    return s;
}

std::string serialText(std::uint32_t serial) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%06u", static_cast<unsigned>(serial));
    return buf;
}

void setFont(cairo_t* cr, double size_mm, bool bold) {
    cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size_mm);
}

double textWidth(cairo_t* cr, const std::string& text) {
    cairo_text_extents_t ext;
    cairo_text_extents(cr, text.c_str(), &ext);
    return ext.x_advance;
}

// Draws `text` with its baseline at y; align: 0 left at x, 1 centred on x, 2 right-aligned at x. Shrinks the font
// until the text fits max_width (long estate names).
void drawText(cairo_t* cr, const std::string& text, double x, double y, int align, double size_mm, bool bold,
              double max_width) {
    setFont(cr, size_mm, bold);
    double w = textWidth(cr, text);
    if (w > max_width && w > 0) {
        setFont(cr, size_mm * max_width / w, bold);
        w = textWidth(cr, text);
    }
    const double left = align == 0 ? x : align == 1 ? x - w / 2 : x - w;
    cairo_move_to(cr, left, y);
    cairo_show_text(cr, text.c_str());
}

// The symbol as one path of horizontal runs, filled once: adjacent modules then never show hairline seams in a
// viewer or an anti-aliased raster.
void drawQr(cairo_t* cr, const QrMatrix& qr, double x, double y, double module) {
    for (int row = 0; row < qr.side; ++row) {
        int col = 0;
        while (col < qr.side) {
            if (!qr.at(col, row)) {
                ++col;
                continue;
            }
            int end = col;
            while (end < qr.side && qr.at(end, row)) ++end;
            cairo_rectangle(cr, x + col * module, y + row * module, (end - col) * module, module);
            col = end;
        }
    }
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
    cairo_fill(cr);
}

struct QrPlacement {
    double x = 0, y = 0, side = 0;  // the symbol itself (without quiet zone), card millimetres
};

QrPlacement qrPlacement(const QrMatrix& qr) {
    const double side = qr.side * kQrModuleMm;
    return {(kCardWidthMm - side) / 2, 43.0, side};
}

// Draws one card with its top-left corner at the current origin, in millimetres. Top to bottom: the estate, the
// title, unit and month, contact and serial, the code in its quiet zone (36-100.75 mm), then up to seven rule
// lines (the last baseline at most 131 mm).
void drawCard(cairo_t* cr, const CardSpec& card, const CardSheetOptions& opt, const QrMatrix& qr) {
    const double w = kCardWidthMm;
    const double cx = w / 2;
    const double inner = w - 10;

    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, 0, 0, w, kCardHeightMm);
    cairo_fill(cr);

    cairo_set_source_rgb(cr, 0, 0, 0);
    if (!opt.site_name.empty()) drawText(cr, opt.site_name, cx, 8.0, 1, 4.5, false, inner);
    drawText(cr, "亲情停车券", cx, 18.5, 1, 8.5, true, inner);

    cairo_set_line_width(cr, 0.4);
    cairo_move_to(cr, 5, 21.5);
    cairo_line_to(cr, w - 5, 21.5);
    cairo_stroke(cr);

    drawText(cr, "户号 " + card.unit, 5, 28.0, 0, 5.5, true, inner * 0.55);
    drawText(cr, monthText(card.month), w - 5, 28.0, 2, 5.5, true, inner * 0.42);
    if (card.contact && !card.contact->empty()) {
        drawText(cr, "联系人 " + *card.contact, 5, 33.5, 0, 3.4, false, inner * 0.55);
    }
    drawText(cr, "编号 No." + serialText(card.serial), w - 5, 33.5, 2, 3.4, false, inner * 0.42);

    const QrPlacement p = qrPlacement(qr);
    drawQr(cr, qr, p.x, p.y, kQrModuleMm);

    const double below = p.y + p.side + kQrQuietModules * kQrModuleMm;  // end of the quiet zone
    const auto lines = cardRuleLines(card, opt);
    // Seven lines fit at 4.3 mm; fewer get more air.
    const double step = lines.size() >= 7 ? 4.3 : 4.8;
    double y = below + 4.6;
    for (const auto& line : lines) {
        drawText(cr, line, 5, y, 0, 3.5, false, inner);
        y += step;
    }
}

void drawCutMarks(cairo_t* cr, double x0, double y0) {
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 0.25);
    const double x_end = x0 + kColumns * kCardWidthMm;
    const double y_end = y0 + kRows * kCardHeightMm;
    for (int c = 0; c <= kColumns; ++c) {
        const double x = x0 + c * kCardWidthMm;
        cairo_move_to(cr, x, 2);
        cairo_line_to(cr, x, y0 - 2);
        cairo_move_to(cr, x, y_end + 2);
        cairo_line_to(cr, x, kA4HeightMm - 6);
    }
    for (int r = 0; r <= kRows; ++r) {
        const double y = y0 + r * kCardHeightMm;
        cairo_move_to(cr, 1, y);
        cairo_line_to(cr, x0 - 2, y);
        cairo_move_to(cr, x_end + 2, y);
        cairo_line_to(cr, kA4WidthMm - 1, y);
    }
    cairo_stroke(cr);
    // A faint outline helps when cutting with scissors instead of a guillotine.
    cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
    cairo_set_line_width(cr, 0.15);
    for (int c = 0; c < kColumns; ++c)
        for (int r = 0; r < kRows; ++r)
            cairo_rectangle(cr, x0 + c * kCardWidthMm, y0 + r * kCardHeightMm, kCardWidthMm, kCardHeightMm);
    cairo_stroke(cr);
}

}  // namespace

std::expected<QrMatrix, std::string> encodeQr(const std::string& text) {
    if (text.empty()) return std::unexpected("empty QR text");
    try {
        const ZXing::BitMatrix bits = ZXing::MultiFormatWriter(ZXing::BarcodeFormat::QRCode)
                                          .setEccLevel(kZxingEccQ)
                                          .setMargin(0)
                                          .encode(text, 0, 0);
        QrMatrix m;
        m.side = bits.width();
        if (m.side <= 0 || bits.height() != m.side) return std::unexpected("QR writer returned no symbol");
        m.dark.resize(static_cast<std::size_t>(m.side * m.side));
        for (int y = 0; y < m.side; ++y)
            for (int x = 0; x < m.side; ++x) m.dark[static_cast<std::size_t>(y * m.side + x)] = bits.get(x, y);
        return m;
    } catch (const std::exception& e) {
        return std::unexpected(std::string("cannot encode a QR code: ") + e.what());
    }
}

std::vector<std::string> cardRuleLines(const CardSpec& card, const CardSheetOptions& opt) {
    std::vector<std::string> lines;
    lines.push_back("每次限用一张，限停" + stayText(opt.stay_max) + "。");
    if (opt.grace_days <= 0) {
        lines.push_back("仅限本月（" + monthText(card.month) + "）入场使用。");
    } else {
        using namespace std::chrono;
        const year_month_day month_end{year{card.month.year} / month{static_cast<unsigned>(card.month.month)} / last};
        const year_month_day until{sys_days{month_end} + days{opt.grace_days}};
        lines.push_back("限" + monthText(card.month) + "使用，最迟" +
                        std::to_string(static_cast<unsigned>(until.month())) + "月" +
                        std::to_string(static_cast<unsigned>(until.day())) + "日入场。");
    }
    lines.push_back("每户每月" + std::to_string(opt.per_month) + "张，一张只能进场一次，复印无效。");
    if (opt.overstay_fee_per_hour > 0) {
        lines.push_back(fmt::format("超时每小时收费{:g}元，不满1小时按1小时计。", opt.overstay_fee_per_hour));
    }
    lines.push_back(opt.overstay_hold ? "超时车辆出场须等保安放行；超时记录在案，居委可查。"
                                      : "超时车辆照常放行，但超时记录在案，居委可查。");
    lines.push_back("入场时请将二维码对准读卡摄像头。");
    if (!opt.phone.empty()) lines.push_back("物业电话：" + opt.phone);
    return lines;
}

std::expected<void, std::string> renderCardsPdf(const std::vector<CardSpec>& cards, const CardSheetOptions& opt,
                                                const std::filesystem::path& out) {
    if (cards.empty()) return std::unexpected("no cards to print");
    std::vector<QrMatrix> codes;
    for (const auto& c : cards) {
        auto qr = encodeQr(c.token);
        if (!qr) return std::unexpected("card " + serialText(c.serial) + ": " + qr.error());
        codes.push_back(std::move(*qr));
    }

    SurfacePtr surface(cairo_pdf_surface_create(out.c_str(), kA4WidthMm * kPtPerMm, kA4HeightMm * kPtPerMm));
    if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS)
        return std::unexpected("cannot create " + out.string() + ": " +
                               cairo_status_to_string(cairo_surface_status(surface.get())));
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, "亲情停车券");
    CairoPtr cr(cairo_create(surface.get()));
    cairo_scale(cr.get(), kPtPerMm, kPtPerMm);

    const double x0 = (kA4WidthMm - kColumns * kCardWidthMm) / 2;
    const double y0 = (kA4HeightMm - kRows * kCardHeightMm) / 2;
    const std::size_t per_page = kColumns * kRows;
    for (std::size_t i = 0; i < cards.size(); ++i) {
        const std::size_t slot = i % per_page;
        if (slot == 0) drawCutMarks(cr.get(), x0, y0);
        cairo_save(cr.get());
        cairo_translate(cr.get(), x0 + static_cast<double>(slot % kColumns) * kCardWidthMm,
                        y0 + static_cast<double>(slot / kColumns) * kCardHeightMm);
        drawCard(cr.get(), cards[i], opt, codes[i]);
        cairo_restore(cr.get());
        if (slot == per_page - 1 || i + 1 == cards.size()) {
            cairo_set_source_rgb(cr.get(), 0.4, 0.4, 0.4);
            drawText(cr.get(), "请按实际大小（100%）打印，勿选“适合页面”；激光打印，哑光纸。", kA4WidthMm / 2,
                     kA4HeightMm - 2.5, 1, 2.8, false, kA4WidthMm - 20);
            cairo_show_page(cr.get());
        }
    }
    cr.reset();
    cairo_surface_finish(surface.get());
    if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS)
        return std::unexpected("cannot write " + out.string() + ": " +
                               cairo_status_to_string(cairo_surface_status(surface.get())));
    return {};
}

std::expected<cv::Mat, std::string> renderCardImage(const CardSpec& card, const CardSheetOptions& opt, double px_per_mm,
                                                    std::vector<cv::Point2f>* qr_corners_px) {
    if (!(px_per_mm > 0 && px_per_mm < 100)) return std::unexpected("px_per_mm out of range");
    auto qr = encodeQr(card.token);
    if (!qr) return std::unexpected(qr.error());
    const int w = static_cast<int>(kCardWidthMm * px_per_mm + 0.5);
    const int h = static_cast<int>(kCardHeightMm * px_per_mm + 0.5);
    SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h));
    if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) return std::unexpected("cannot create image");
    {
        CairoPtr cr(cairo_create(surface.get()));
        cairo_scale(cr.get(), px_per_mm, px_per_mm);
        drawCard(cr.get(), card, opt, *qr);
    }
    cairo_surface_flush(surface.get());
    const cv::Mat bgrx(h, w, CV_8UC4, cairo_image_surface_get_data(surface.get()),
                       static_cast<std::size_t>(cairo_image_surface_get_stride(surface.get())));
    cv::Mat bgr;
    cv::cvtColor(bgrx, bgr, cv::COLOR_BGRA2BGR);  // copies: the surface dies with this scope
    if (qr_corners_px) {
        const QrPlacement p = qrPlacement(*qr);
        const auto s = static_cast<float>(px_per_mm);
        const auto x = static_cast<float>(p.x) * s, y = static_cast<float>(p.y) * s;
        const auto side = static_cast<float>(p.side) * s;
        *qr_corners_px = {{x, y}, {x + side, y}, {x + side, y + side}, {x, y + side}};
    }
    return bgr;
}

}  // namespace vg::cards
