//! Money: integer minor units (cents) with an ISO 4217 currency, never floats. Every sum
//! and product is checked: an amount that would overflow is refused, not wrapped.

use serde::{Deserialize, Serialize};

/// Amounts above this (in minor units) are refused: 10^13 is ten billion in a currency of
/// two decimals, far above any warranty claim, and keeps every product of an amount and a
/// quantity or a percentage inside `i64`.
pub const MAX_MINOR: i64 = 10_000_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("must be a whole number of minor units from 0 to {MAX_MINOR}")]
    OutOfRange,
    #[error("amounts in different currencies cannot be added")]
    CurrencyMismatch,
}

/// A three-letter ISO 4217 code, upper case (`USD`, `EUR`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Currency(String);

impl Currency {
    /// The code, if it has the shape of one (three ASCII letters; upper-cased).
    pub fn parse(code: &str) -> Option<Currency> {
        let code = code.trim();
        (code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic())).then(|| Currency(code.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Digits after the decimal point (ISO 4217's minor unit): 0 for the yen and a few
    /// others, 3 for the dinars of Bahrain, Iraq, Jordan, Kuwait, Libya, Oman and Tunisia,
    /// 2 for the rest.
    pub fn decimals(&self) -> u32 {
        match self.0.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "UYI" | "VND"
            | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }

    /// An amount in minor units written in major units (`25700` USD is `257.00`): for
    /// people (mail, exports), never read back.
    pub fn format(&self, minor: i64) -> String {
        let decimals = self.decimals();
        if decimals == 0 {
            return minor.to_string();
        }
        let unit = 10i64.pow(decimals);
        let sign = if minor < 0 { "-" } else { "" };
        let minor = minor.unsigned_abs();
        let unit = unit.unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            minor / unit,
            minor % unit,
            width = decimals as usize
        )
    }
}

/// A non-negative amount in minor units.
pub fn amount(minor: i64) -> Result<i64, MoneyError> {
    if (0..=MAX_MINOR).contains(&minor) {
        Ok(minor)
    } else {
        Err(MoneyError::OutOfRange)
    }
}

/// `a + b`, refused beyond `MAX_MINOR`.
pub fn add(a: i64, b: i64) -> Result<i64, MoneyError> {
    a.checked_add(b).ok_or(MoneyError::OutOfRange).and_then(amount)
}

/// `minor × numerator / denominator`, rounded half up (amounts are never negative):
/// quantities, hours in hundredths, percentages.
pub fn scale(minor: i64, numerator: i64, denominator: i64) -> Result<i64, MoneyError> {
    if denominator <= 0 || numerator < 0 {
        return Err(MoneyError::OutOfRange);
    }
    let product = i128::from(minor) * i128::from(numerator);
    let rounded = (product * 2 + i128::from(denominator)) / (2 * i128::from(denominator));
    i64::try_from(rounded)
        .map_err(|_| MoneyError::OutOfRange)
        .and_then(amount)
}

/// `percent` % of an amount, rounded half up.
pub fn percent_of(minor: i64, percent: u8) -> Result<i64, MoneyError> {
    scale(minor, i64::from(percent.min(100)), 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_in_the_currencys_own_decimals() {
        let usd = Currency::parse("usd").unwrap();
        assert_eq!(usd.format(25_700), "257.00");
        assert_eq!(usd.format(5), "0.05");
        assert_eq!(Currency::parse("JPY").unwrap().format(1200), "1200");
        assert_eq!(Currency::parse("KWD").unwrap().format(1_234), "1.234");
        assert_eq!(usd.format(MAX_MINOR), "100000000000.00");
    }
    use proptest::prelude::*;

    #[test]
    fn currencies_are_three_letters_upper_cased() {
        assert_eq!(Currency::parse(" usd ").unwrap().as_str(), "USD");
        for bad in ["", "US", "USDD", "U$D", "12A", "ÜSD"] {
            assert!(Currency::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn sums_and_products_are_checked_and_round_half_up() {
        assert_eq!(add(1, 2), Ok(3));
        assert_eq!(add(MAX_MINOR, 1), Err(MoneyError::OutOfRange));
        assert_eq!(add(i64::MAX, 1), Err(MoneyError::OutOfRange));
        assert_eq!(amount(-1), Err(MoneyError::OutOfRange));
        // 1.5 hours at 85.00 an hour.
        assert_eq!(scale(8_500, 150, 100), Ok(12_750));
        // 0.333… rounds to 0, 0.5 up to 1.
        assert_eq!(scale(1, 1, 3), Ok(0));
        assert_eq!(scale(1, 1, 2), Ok(1));
        assert_eq!(percent_of(12_345, 50), Ok(6_173));
        assert_eq!(percent_of(100, 200), Ok(100), "at most 100 %");
        assert_eq!(scale(MAX_MINOR, 1_000_000, 1), Err(MoneyError::OutOfRange));
        assert_eq!(scale(1, -1, 1), Err(MoneyError::OutOfRange));
    }

    proptest! {
        #[test]
        fn a_percentage_never_exceeds_the_whole_nor_goes_below_zero(minor in 0..=MAX_MINOR, percent in 0u8..=100) {
            let part = percent_of(minor, percent).unwrap();
            prop_assert!((0..=minor).contains(&part));
        }

        #[test]
        fn scaling_never_panics(minor in any::<i64>(), numerator in any::<i64>(), denominator in any::<i64>()) {
            let _ = scale(minor, numerator, denominator);
        }
    }
}
