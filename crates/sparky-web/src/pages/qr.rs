//! A QR code of a link, drawn as inline SVG: a password link shown on a computer's screen can
//! be opened on the phone next to it by pointing its camera, instead of typing 70 characters.
//! The qrcode crate encodes; the drawing is ours so that the markup is small (one path, one
//! run of dark modules per `h` segment) and carries no text of the link itself.

use qrcode::{Color, EcLevel, QrCode};
use std::fmt::Write;

/// The light margin around the code that scanners need, in modules (the standard's four).
const QUIET_ZONE: usize = 4;

/// The SVG of `text`'s QR code, dark on white whatever the page's theme, sized by CSS;
/// `label` is its accessible name. None when the text does not fit a QR code (never for a
/// link of Sparky's, which is about a hundred characters).
pub fn svg(text: &str, label: &str) -> Option<String> {
    // Medium error correction: a phone held at an angle to a screen still reads it, and a
    // hundred-character link stays a version 5-6 code (about 40 modules across).
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let side = width + 2 * QUIET_ZONE;
    let mut path = String::new();
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if row[x] == Color::Dark {
                let start = x;
                while x < width && row[x] == Color::Dark {
                    x += 1;
                }
                let _ = write!(
                    path,
                    "M{} {}h{}v1h-{}z",
                    start + QUIET_ZONE,
                    y + QUIET_ZONE,
                    x - start,
                    x - start
                );
            } else {
                x += 1;
            }
        }
    }
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr\" viewBox=\"0 0 {side} {side}\" \
         role=\"img\" aria-label=\"{}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>",
        super::format::escape_html(label)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The modules an SVG of `svg()` draws, read back from its markup: (side, dark cells).
    fn modules(svg: &str) -> (usize, Vec<Vec<bool>>) {
        let side: usize = svg
            .split("viewBox=\"0 0 ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .expect("a square viewBox");
        let d = svg
            .split(" d=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("one path");
        let mut grid = vec![vec![false; side]; side];
        for run in d.split('M').filter(|r| !r.is_empty()) {
            // "x yhNv1h-Nz"
            let (xy, rest) = run.split_once('h').expect("a horizontal run");
            let (x, y) = xy.split_once(' ').expect("x and y");
            let n: usize = rest.split('v').next().unwrap().parse().unwrap();
            let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
            for cell in &mut grid[y][x..x + n] {
                assert!(!*cell, "runs do not overlap");
                *cell = true;
            }
        }
        (side, grid)
    }

    #[test]
    fn the_drawing_reads_back_as_the_link() {
        let link = "https://fit.example.org/set-password?token=Zk3p0Q9vVd2mX7aL1bT8cR4eY6uW5sN0hJ2gF9kE3qA";
        let svg = svg(link, "QR code \"of\" <the> link").expect("fits");
        assert!(svg.contains("aria-label=\"QR code &quot;of&quot; &lt;the&gt; link\""));
        assert!(
            !svg.contains("token"),
            "the link's text is not in the markup"
        );
        let (side, grid) = modules(&svg);
        // Scan it as a camera would: 8 pixels a module, dark modules black on white.
        let scale = 8;
        let mut image =
            rqrr::PreparedImage::prepare_from_greyscale(side * scale, side * scale, |x, y| {
                if grid[y / scale][x / scale] {
                    0
                } else {
                    255
                }
            });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one code found");
        let (_, content) = grids[0].decode().expect("decodes");
        assert_eq!(content, link);
        // The quiet zone is light all round.
        for (y, row) in grid.iter().enumerate() {
            for (x, dark) in row.iter().enumerate() {
                let margin = x.min(y).min(side - 1 - x).min(side - 1 - y);
                assert!(margin >= QUIET_ZONE || !dark, "({x}, {y}) is in the margin");
            }
        }
    }

    #[test]
    fn text_too_long_for_any_code_gives_none() {
        assert!(svg(&"x".repeat(5000), "label").is_none());
    }
}
