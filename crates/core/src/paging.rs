//! Pagination arithmetic shared by archives and the API.

/// A requested page of a list; numbers start at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub number: u32,
    pub per_page: u32,
}

impl PageRequest {
    pub fn new(number: u32, per_page: u32) -> Self {
        Self {
            number: number.max(1),
            per_page: per_page.max(1),
        }
    }

    pub fn offset(self) -> i64 {
        i64::from(self.number - 1) * i64::from(self.per_page)
    }

    pub fn limit(self) -> i64 {
        i64::from(self.per_page)
    }
}

/// How many pages `total` items fill (at least one, so an empty list has a page 1).
pub fn page_count(total: i64, per_page: u32) -> u32 {
    let per = i64::from(per_page.max(1));
    let pages = (total.max(0) + per - 1) / per;
    u32::try_from(pages.max(1)).unwrap_or(u32::MAX)
}

/// The page numbers to link to, with `None` for a gap: 1 … 4 5 [6] 7 8 … 20.
pub fn links(current: u32, pages: u32) -> Vec<Option<u32>> {
    let mut out = Vec::new();
    let mut last = 0;
    for n in 1..=pages {
        let near = n.abs_diff(current) <= 2;
        if n == 1 || n == pages || near {
            if n > last + 1 {
                out.push(None);
            }
            out.push(Some(n));
            last = n;
        }
    }
    out
}

/// Parses a page number from a URL: digits only, 1 or more, no leading zero.
pub fn parse_page_number(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || s.starts_with('0') || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_pages() {
        assert_eq!(page_count(0, 10), 1);
        assert_eq!(page_count(10, 10), 1);
        assert_eq!(page_count(11, 10), 2);
    }

    #[test]
    fn links_elide_far_pages() {
        let l = links(6, 20);
        assert_eq!(
            l,
            vec![
                Some(1),
                None,
                Some(4),
                Some(5),
                Some(6),
                Some(7),
                Some(8),
                None,
                Some(20)
            ]
        );
        assert_eq!(links(1, 1), vec![Some(1)]);
    }

    #[test]
    fn page_numbers_are_strict() {
        assert_eq!(parse_page_number("2"), Some(2));
        for bad in ["0", "", "02", "-1", "1e3", "99999999999", "two"] {
            assert_eq!(parse_page_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn offsets() {
        assert_eq!(PageRequest::new(3, 10).offset(), 20);
        assert_eq!(PageRequest::new(0, 0).offset(), 0);
    }
}
