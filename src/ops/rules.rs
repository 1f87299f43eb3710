//! `nsslint rules [ID]`: every rule (or one) with what it does, why it matters and how to fix it, as its
//! `rules/<ID>.md` says.

use super::Failure;
use crate::rules;

/// The text of every rule, or of the one `only` names (an id such as `NSL001` or a name).
pub fn text(only: Option<&str>) -> Result<String, Failure> {
    let selected: Vec<_> = match only {
        Some(id) => match rules::find(id) {
            Some(rule) => vec![rule],
            None => {
                let known: Vec<&str> = rules::all().iter().map(|r| r.doc.id.as_str()).collect();
                return Err(Failure::Usage(format!(
                    "no rule {id:?}; the rules are {}",
                    known.join(", ")
                )));
            }
        },
        None => rules::all().iter().collect(),
    };
    let mut out = String::new();
    for rule in selected {
        let doc = &rule.doc;
        out.push_str(&format!(
            "{} {} ({}): {}\n\n{}\n\n",
            doc.id,
            doc.name,
            doc.level.as_str(),
            doc.summary,
            doc.body
        ));
    }
    Ok(out)
}
