//! Pagination: what a list request asks for and what a list returns.

use crate::error::FieldError;

/// Largest page a client may ask for.
pub const MAX_PER_PAGE: u32 = 250;
/// Page size when none is asked for.
pub const DEFAULT_PER_PAGE: u32 = 25;

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Smallest first.
    Asc,
    /// Largest (newest) first: the default.
    #[default]
    Desc,
}

impl SortOrder {
    /// Parses `asc` or `desc`.
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        match text {
            "asc" => Ok(Self::Asc),
            "desc" => Ok(Self::Desc),
            _ => Err(FieldError::new("order", "must be one of: asc, desc")),
        }
    }
}

/// A resource's sortable fields: an allow-list with a default.
pub trait SortField: Copy + Sized + 'static {
    /// Every allowed field with its wire name.
    const ALL: &'static [(&'static str, Self)];
    /// The field used when none is asked for.
    const DEFAULT: Self;

    /// Parses a wire name against the allow-list.
    fn parse(text: &str) -> Result<Self, FieldError> {
        Self::ALL
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|(n, _)| *n).collect();
                FieldError::new("sort", format!("must be one of: {}", names.join(", ")))
            })
    }
}

/// Which page of a list, in which order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest<S> {
    /// 1-based page number.
    pub page: u32,
    /// Items per page, 1..=250.
    pub per_page: u32,
    /// Sort field from the resource's allow-list.
    pub sort: S,
    /// Direction; ties are broken by id in the same direction.
    pub order: SortOrder,
}

impl<S: SortField> PageRequest<S> {
    /// The first page with defaults.
    pub fn first() -> Self {
        Self {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
            sort: S::DEFAULT,
            order: SortOrder::Desc,
        }
    }

    /// Parses the raw query values, reporting every bad one.
    pub fn parse(
        page: Option<&str>,
        per_page: Option<&str>,
        sort: Option<&str>,
        order: Option<&str>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let page = parse_bounded(page, "page", 1, u32::MAX, 1, &mut errors);
        let per_page = parse_bounded(per_page, "per_page", 1, MAX_PER_PAGE, DEFAULT_PER_PAGE, &mut errors);
        let sort = match sort.map(S::parse).transpose() {
            Ok(s) => s.unwrap_or(S::DEFAULT),
            Err(e) => {
                errors.push(e);
                S::DEFAULT
            }
        };
        let order = match order.map(SortOrder::parse).transpose() {
            Ok(o) => o.unwrap_or_default(),
            Err(e) => {
                errors.push(e);
                SortOrder::Desc
            }
        };
        if errors.is_empty() {
            Ok(Self {
                page,
                per_page,
                sort,
                order,
            })
        } else {
            Err(errors)
        }
    }
}

impl<S> PageRequest<S> {
    /// Rows to skip.
    pub fn offset(&self) -> u64 {
        u64::from(self.page.saturating_sub(1)) * u64::from(self.per_page)
    }
}

fn parse_bounded(raw: Option<&str>, name: &str, min: u32, max: u32, default: u32, errors: &mut Vec<FieldError>) -> u32 {
    let Some(raw) = raw else { return default };
    match raw.parse::<u32>() {
        Ok(v) if (min..=max).contains(&v) => v,
        _ if max == u32::MAX => {
            errors.push(FieldError::new(name, format!("must be an integer of at least {min}")));
            default
        }
        _ => {
            errors.push(FieldError::new(name, format!("must be an integer from {min} to {max}")));
            default
        }
    }
}

/// One page of a list and the total across all pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The records on this page.
    pub items: Vec<T>,
    /// Records matching the filters, across all pages.
    pub total: u64,
}

impl<T> Page<T> {
    /// Pages needed for `total` at `per_page`: ceil(total / per_page), 0 when empty.
    pub fn total_pages(&self, per_page: u32) -> u64 {
        self.total.div_ceil(u64::from(per_page.max(1)))
    }
    /// Converts the items, keeping the total.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Sort {
        CreatedAt,
        Name,
    }
    impl SortField for Sort {
        const ALL: &'static [(&'static str, Self)] = &[("created_at", Sort::CreatedAt), ("name", Sort::Name)];
        const DEFAULT: Self = Sort::CreatedAt;
    }

    #[rstest]
    #[case(None, None, None, None, Ok((1, 25, Sort::CreatedAt, SortOrder::Desc)))]
    #[case(Some("3"), Some("250"), Some("name"), Some("asc"), Ok((3, 250, Sort::Name, SortOrder::Asc)))]
    #[case(Some("0"), None, None, None, Err(vec!["page"]))]
    #[case(Some("-1"), None, None, None, Err(vec!["page"]))]
    #[case(Some("abc"), None, None, None, Err(vec!["page"]))]
    #[case(Some("1.5"), None, None, None, Err(vec!["page"]))]
    #[case(None, Some("0"), None, None, Err(vec!["per_page"]))]
    #[case(None, Some("251"), None, None, Err(vec!["per_page"]))]
    #[case(None, Some(""), None, None, Err(vec!["per_page"]))]
    #[case(None, None, Some("email"), None, Err(vec!["sort"]))]
    #[case(None, None, Some("Name"), None, Err(vec!["sort"]))]
    #[case(None, None, None, Some("ASC"), Err(vec!["order"]))]
    #[case(Some("x"), Some("x"), Some("x"), Some("x"), Err(vec!["page", "per_page", "sort", "order"]))]
    fn parses_list_parameters(
        #[case] page: Option<&str>,
        #[case] per_page: Option<&str>,
        #[case] sort: Option<&str>,
        #[case] order: Option<&str>,
        #[case] expected: Result<(u32, u32, Sort, SortOrder), Vec<&str>>,
    ) {
        let got = PageRequest::<Sort>::parse(page, per_page, sort, order)
            .map(|p| (p.page, p.per_page, p.sort, p.order))
            .map_err(|e| e.into_iter().map(|f| f.field).collect::<Vec<_>>());
        let expected = expected.map_err(|v| v.into_iter().map(String::from).collect::<Vec<_>>());
        assert_eq!(got, expected);
    }

    #[test]
    fn sort_error_lists_allowed_values() {
        let err = PageRequest::<Sort>::parse(None, None, Some("x"), None).unwrap_err();
        assert_eq!(err[0].message, "must be one of: created_at, name");
    }

    #[rstest]
    #[case(0, 25, 0)]
    #[case(1, 25, 1)]
    #[case(25, 25, 1)]
    #[case(26, 25, 2)]
    #[case(142, 25, 6)]
    fn total_pages_is_the_ceiling(#[case] total: u64, #[case] per_page: u32, #[case] pages: u64) {
        assert_eq!(Page::<()> { items: vec![], total }.total_pages(per_page), pages);
    }
}
