//! YAML documents as a tree that remembers where each value was written (line and column), so a finding
//! can point at a manifest's `image:` line. Built from `yaml-rust2`'s event parser; aliases are expanded by
//! copying, and what a document may expand to is bounded ([`Limits`]) so that a YAML bomb (aliases of
//! aliases) is an error, not a hang. JSON is YAML, so `kubectl get -o json` reads the same way.

use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Where a value starts: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// A value and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub at: Position,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar as written (`null`, `~` and an empty value included: the reader decides).
    Scalar(String),
    Sequence(Vec<Node>),
    /// Keys in the order written.
    Mapping(Vec<(Node, Node)>),
}

impl Node {
    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Mapping(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// `get` along a path of keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    /// A scalar's text; `None` for `null`, `~`, an empty value and collections.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(text)
                if !matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL") =>
            {
                Some(text)
            }
            _ => None,
        }
    }

    /// A sequence's items (none for anything else).
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Sequence(items) => items,
            _ => &[],
        }
    }

    /// A mapping's entries (none for anything else).
    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.value {
            Value::Mapping(entries) => entries,
            _ => &[],
        }
    }
}

/// What one stream of documents may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Nodes in all, aliases counted as what they expand to.
    pub nodes: usize,
    /// Of those, nodes copied by expanding aliases (the cost a bomb multiplies).
    pub alias_nodes: usize,
    /// Collections inside collections.
    pub depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // A list of 2,000 live pods is about a million nodes; a bomb is many orders of magnitude more, and
        // manifests use aliases sparingly.
        Limits {
            nodes: 5_000_000,
            alias_nodes: 1_000_000,
            depth: 200,
        }
    }
}

/// Why a stream is not YAML nsslint reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub at: Position,
    pub what: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {} column {}: {}",
            self.at.line, self.at.column, self.what
        )
    }
}

/// Every document of `text`, in order.
pub fn documents(text: &str, limits: Limits) -> Result<Vec<Node>, YamlError> {
    let mut builder = Builder {
        limits,
        documents: Vec::new(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        alias_nodes: 0,
        error: None,
    };
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut builder, true) {
        let marker = e.marker();
        return Err(YamlError {
            at: position(marker),
            what: e.info().to_string(),
        });
    }
    match builder.error {
        Some(error) => Err(error),
        None => Ok(builder.documents),
    }
}

fn position(marker: &Marker) -> Position {
    Position {
        line: marker.line(),
        column: marker.col() + 1,
    }
}

/// A collection being built: its items so far, where it started, its anchor.
struct Open {
    node: Node,
    anchor: usize,
    /// A mapping's key, waiting for its value.
    key: Option<Node>,
}

struct Builder {
    limits: Limits,
    documents: Vec<Node>,
    stack: Vec<Open>,
    /// Each anchor's node and its size in nodes.
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    alias_nodes: usize,
    error: Option<YamlError>,
}

impl Builder {
    fn fail(&mut self, at: Position, what: String) {
        self.error.get_or_insert(YamlError { at, what });
    }

    fn count(&mut self, n: usize, at: Position) -> bool {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.nodes {
            self.fail(
                at,
                format!(
                    "expands to more than {} values (aliases included): refused as a YAML bomb",
                    self.limits.nodes
                ),
            );
            return false;
        }
        true
    }

    /// Puts a finished node where it belongs: into the open collection, or as a document.
    fn place(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            let size = size(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(open) => match &mut open.node.value {
                Value::Sequence(items) => items.push(node),
                Value::Mapping(entries) => match open.key.take() {
                    None => {
                        // A block mapping is reported where its first key is (the parser marks it later).
                        if entries.is_empty() {
                            open.node.at = node.at;
                        }
                        open.key = Some(node)
                    }
                    Some(key) => entries.push((key, node)),
                },
                Value::Scalar(_) => unreachable!("only collections are opened"),
            },
        }
    }

    fn open(&mut self, value: Value, anchor: usize, at: Position) {
        if self.stack.len() >= self.limits.depth {
            self.fail(
                at,
                format!("nests deeper than {} collections", self.limits.depth),
            );
            return;
        }
        if self.count(1, at) {
            self.stack.push(Open {
                node: Node { value, at },
                anchor,
                key: None,
            });
        }
    }

    fn close(&mut self) {
        if let Some(open) = self.stack.pop() {
            self.place(open.node, open.anchor);
        }
    }
}

/// Values in a tree, for an alias's cost.
fn size(node: &Node) -> usize {
    1 + match &node.value {
        Value::Scalar(_) => 0,
        Value::Sequence(items) => items.iter().map(size).sum(),
        Value::Mapping(entries) => entries.iter().map(|(k, v)| size(k) + size(v)).sum(),
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, marker: Marker) {
        if self.error.is_some() {
            return;
        }
        let at = position(&marker);
        match event {
            Event::Scalar(text, _, anchor, _) => {
                if self.count(1, at) {
                    self.place(
                        Node {
                            value: Value::Scalar(text),
                            at,
                        },
                        anchor,
                    );
                }
            }
            Event::SequenceStart(anchor, _) => self.open(Value::Sequence(Vec::new()), anchor, at),
            Event::MappingStart(anchor, _) => self.open(Value::Mapping(Vec::new()), anchor, at),
            Event::SequenceEnd | Event::MappingEnd => self.close(),
            Event::Alias(id) => match self.anchors.get(&id).map(|(_, size)| *size) {
                Some(size) => {
                    // Counted before the copy is made: a bomb is refused without being built.
                    self.alias_nodes = self.alias_nodes.saturating_add(size);
                    if self.alias_nodes > self.limits.alias_nodes {
                        self.fail(
                            at,
                            format!(
                                "its aliases expand to more than {} values: refused as a YAML bomb",
                                self.limits.alias_nodes
                            ),
                        );
                    } else if self.count(size, at) {
                        let node = self.anchors[&id].0.clone();
                        self.place(node, 0);
                    }
                }
                None => self.fail(at, "an alias to an anchor not defined before it".into()),
            },
            Event::DocumentEnd => self.anchors.clear(),
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_where_each_value_was_written() {
        let docs = documents(
            "kind: Pod\nspec:\n  containers:\n    - name: app\n      image: \"team/app:1.4\"\n---\n{\"kind\": \"List\", \"items\": []}\n",
            Limits::default(),
        )
        .unwrap();
        assert_eq!(docs.len(), 2);
        let image = docs[0].path(&["spec", "containers"]).unwrap().items()[0]
            .get("image")
            .unwrap();
        assert_eq!(image.as_str(), Some("team/app:1.4"));
        assert_eq!(
            image.at,
            Position {
                line: 5,
                column: 14
            }
        );
        assert_eq!(docs[1].get("kind").unwrap().as_str(), Some("List"));
        assert_eq!(docs[1].get("items").unwrap().items().len(), 0);
    }

    #[test]
    fn aliases_expand_within_bounds_and_bombs_are_refused() {
        let docs = documents("a: &x {k: v}\nb: *x\n", Limits::default()).unwrap();
        assert_eq!(docs[0].path(&["b", "k"]).unwrap().as_str(), Some("v"));
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (i, name) in "bcdefghij".chars().enumerate() {
            let previous = (b'a' + i as u8) as char;
            bomb.push_str(&format!(
                "{name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"
            ));
        }
        let error = documents(&bomb, Limits::default()).unwrap_err();
        assert!(error.what.contains("YAML bomb"), "{error}");
        let deep = "[".repeat(500) + &"]".repeat(500);
        assert_eq!(documents(&deep, Limits::default()).unwrap_err().at.line, 1);
        let deep = "a:\n".to_string()
            + &(1..300)
                .map(|i| format!("{}- \n", "  ".repeat(i)))
                .collect::<String>();
        assert!(documents(&deep, Limits::default()).is_err());
    }

    #[test]
    fn malformed_yaml_names_its_line() {
        let error = documents("kind: Pod\nspec: [unclosed\n", Limits::default()).unwrap_err();
        assert!(error.at.line >= 2, "{error}");
        assert_eq!(
            documents("a: *nowhere\n", Limits::default())
                .unwrap_err()
                .at
                .line,
            1
        );
    }

    #[test]
    fn null_and_empty_values_are_no_text() {
        let docs = documents("a: ~\nb:\nc: null\nd: ''\ne: x\n", Limits::default()).unwrap();
        for key in ["a", "b", "c", "d"] {
            assert_eq!(docs[0].get(key).unwrap().as_str(), None, "{key}");
        }
        assert_eq!(docs[0].get("e").unwrap().as_str(), Some("x"));
    }
}
