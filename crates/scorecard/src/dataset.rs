//! Reading labelled examples from CSV: one named binary target column, every other column a
//! characteristic — numeric when every present value is a finite number, categorical otherwise.
use std::collections::BTreeSet;

/// A characteristic's values over the examples.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Numbers; None where the cell was empty.
    Numeric(Vec<Option<f64>>),
    /// Categories; None where the cell was empty.
    Categorical(Vec<Option<String>>),
}

/// One column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header name.
    pub name: String,
    /// Its values.
    pub values: Values,
}

/// Labelled examples.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The characteristics.
    pub columns: Vec<Column>,
    /// The target per row: true = bad (defaulted, paid late…).
    pub bad: Vec<bool>,
}

/// Why a CSV cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DatasetError {
    /// Not CSV, or rows of different lengths.
    #[error("the CSV cannot be read: {0}")]
    Csv(String),
    /// The target column is not in the header.
    #[error("there is no column '{0}' to use as the target")]
    NoTarget(String),
    /// No data rows.
    #[error("the CSV has no rows")]
    NoRows,
    /// A target value other than 0/1, true/false, yes/no, bad/good.
    #[error("row {row}: target value '{value}' is not binary (0/1, true/false, yes/no, bad/good)")]
    NonBinaryTarget {
        /// 1-based data row.
        row: usize,
        /// The value.
        value: String,
    },
    /// Only one class present: nothing to learn.
    #[error("every row has the same target value: a model needs both goods and bads")]
    OneClass,
    /// NaN or infinity where a number was expected.
    #[error("row {row}, column '{column}': '{value}' is not a finite number")]
    NotFinite {
        /// 1-based data row.
        row: usize,
        column: String,
        /// The value.
        value: String,
    },
    /// Nothing but the target.
    #[error("the CSV has no characteristic columns besides the target")]
    NoCharacteristics,
}

fn target_value(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "bad" | "y" => Some(true),
        "0" | "false" | "no" | "good" | "n" => Some(false),
        _ => None,
    }
}

fn looks_non_finite(text: &str) -> bool {
    matches!(
        text.trim().to_ascii_lowercase().as_str(),
        "nan" | "inf" | "+inf" | "-inf" | "infinity" | "+infinity" | "-infinity"
    )
}

impl Dataset {
    /// Reads CSV with a header row; `target` names the binary target column.
    pub fn from_csv(reader: impl std::io::Read, target: &str) -> Result<Self, DatasetError> {
        let mut csv = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(reader);
        let headers: Vec<String> = csv
            .headers()
            .map_err(|e| DatasetError::Csv(e.to_string()))?
            .iter()
            .map(str::to_string)
            .collect();
        let target_at = headers
            .iter()
            .position(|h| h == target)
            .ok_or_else(|| DatasetError::NoTarget(target.to_string()))?;
        if headers.len() < 2 {
            return Err(DatasetError::NoCharacteristics);
        }
        let mut cells: Vec<Vec<String>> = vec![Vec::new(); headers.len()];
        let mut bad = Vec::new();
        for (i, record) in csv.records().enumerate() {
            let record = record.map_err(|e| DatasetError::Csv(e.to_string()))?;
            let row = i + 1;
            let value = record.get(target_at).unwrap_or_default();
            bad.push(
                target_value(value).ok_or_else(|| DatasetError::NonBinaryTarget {
                    row,
                    value: value.to_string(),
                })?,
            );
            for (column, cell) in record.iter().enumerate() {
                cells[column].push(cell.to_string());
            }
        }
        if bad.is_empty() {
            return Err(DatasetError::NoRows);
        }
        if bad.iter().all(|b| *b) || bad.iter().all(|b| !*b) {
            return Err(DatasetError::OneClass);
        }
        let mut columns = Vec::new();
        for (index, name) in headers.into_iter().enumerate() {
            if index == target_at {
                continue;
            }
            let raw = &cells[index];
            if let Some((row, value)) = raw.iter().enumerate().find(|(_, v)| looks_non_finite(v)) {
                return Err(DatasetError::NotFinite {
                    row: row + 1,
                    column: name,
                    value: value.clone(),
                });
            }
            let numbers: Option<Vec<Option<f64>>> = raw
                .iter()
                .map(|v| {
                    if v.is_empty() {
                        Some(None)
                    } else {
                        v.parse::<f64>().ok().filter(|x| x.is_finite()).map(Some)
                    }
                })
                .collect();
            let values = match numbers {
                Some(numbers) if numbers.iter().any(Option::is_some) => Values::Numeric(numbers),
                _ => Values::Categorical(
                    raw.iter()
                        .map(|v| (!v.is_empty()).then(|| v.clone()))
                        .collect(),
                ),
            };
            columns.push(Column { name, values });
        }
        Ok(Self { columns, bad })
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.bad.len()
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.bad.is_empty()
    }

    /// The distinct categories of a categorical column (for reports).
    pub fn categories(&self, column: &Column) -> BTreeSet<String> {
        match &column.values {
            Values::Categorical(values) => values.iter().flatten().cloned().collect(),
            Values::Numeric(_) => BTreeSet::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_typed_and_the_target_read() {
        let csv = "years,industry,defaulted\n3,retail,0\n,wholesale,1\n12.5,retail,no\n";
        let data = Dataset::from_csv(csv.as_bytes(), "defaulted").expect("reads");
        assert_eq!(data.bad, [false, true, false]);
        assert_eq!(data.columns.len(), 2);
        assert_eq!(
            data.columns[0].values,
            Values::Numeric(vec![Some(3.0), None, Some(12.5)])
        );
        assert!(matches!(data.columns[1].values, Values::Categorical(_)));
    }

    #[test]
    fn unusable_files_are_refused_with_the_reason() {
        let read = |csv: &str| Dataset::from_csv(csv.as_bytes(), "bad").expect_err("refused");
        assert_eq!(read("x,bad\n"), DatasetError::NoRows);
        assert_eq!(read("x,flag\n1,0\n"), DatasetError::NoTarget("bad".into()));
        assert_eq!(
            read("x,bad\n1,0\n2,maybe\n"),
            DatasetError::NonBinaryTarget {
                row: 2,
                value: "maybe".into()
            }
        );
        assert_eq!(read("x,bad\n1,1\n2,1\n"), DatasetError::OneClass);
        assert_eq!(
            read("x,bad\n1,0\nNaN,1\n"),
            DatasetError::NotFinite {
                row: 2,
                column: "x".into(),
                value: "NaN".into()
            }
        );
        assert_eq!(read("bad\n1\n0\n"), DatasetError::NoCharacteristics);
    }
}
