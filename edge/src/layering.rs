//! Checks of the edge's shape, read from its own sources (native tests, `make unit`):
//!
//! - no import circle between the edge's modules (a module is a top-level file or folder of
//!   `src/`; `objects/*` and `store/*` count as their folder);
//! - only `guard.rs` reads a cookie, the `Origin` header or a session (ARCHITECTURE invariant 7);
//! - SQL only in `store/` and `objects/kit/` (invariant 9).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, as (path relative to `dir` with `/`, text).
fn sources(dir: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(dir).expect("src is readable").map(|e| e.expect("entry").path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(root, &p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                let rel = p.strip_prefix(root).expect("under root").to_string_lossy().replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&p).expect("utf-8 source")));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The module a file belongs to: its top-level file or folder under `src/`.
fn module_of(rel: &str) -> String {
    let first = rel.split('/').next().unwrap_or(rel);
    first.trim_end_matches(".rs").to_owned()
}

/// The code of a file without its comments (line comments, doc comments).
fn code_of(text: &str) -> String {
    text.lines().map(|l| l.find("//").map_or(l, |i| &l[..i])).collect::<Vec<_>>().join("\n")
}

fn ident_at(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules `code` names through `crate::x` paths and `use crate::{x, y::…}`.
fn imports(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        let before_ok = i == 0 || !rest[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        if before_ok {
            if let Some(group) = after.strip_prefix('{') {
                // `crate::{a, b::{c, d}, e}`: the names at depth one.
                let mut depth = 1;
                let mut at_item = true;
                for (j, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        ',' if depth == 1 => at_item = true,
                        c if at_item && depth == 1 && !c.is_whitespace() => {
                            let name = ident_at(&group[j..]);
                            if !name.is_empty() && name != "self" {
                                out.insert(name.to_owned());
                            }
                            at_item = false;
                        }
                        _ => {}
                    }
                }
            } else {
                let name = ident_at(after);
                if !name.is_empty() {
                    out.insert(name.to_owned());
                }
            }
        }
        rest = after;
    }
    out
}

/// module → the modules it imports (itself left out).
fn module_graph(files: &[(String, String)]) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, text) in files {
        let m = module_of(rel);
        let deps = graph.entry(m.clone()).or_default();
        deps.extend(imports(&code_of(text)).into_iter().filter(|d| *d != m));
    }
    graph
}

/// An import circle, as `a → b → … → a`, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == m) {
            let mut cycle = path[at..].to_vec();
            cycle.push(m.to_owned());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_owned());
        for d in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(d, graph, done, path) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        if let Some(c) = visit(m, graph, &mut done, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_edge_has_no_import_circle() {
    let graph = module_graph(&sources(&src_dir()));
    assert!(graph.len() > 10, "the sources were read: {graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import circle inside edge/: {}", cycle.join(" → "));
    }
}

#[test]
fn imports_are_read_from_paths_and_groups() {
    let code =
        "use crate::store::{n, s};\nuse crate::{admin, api::{self, x}, blocks};\nlet a = crate::config::get(env);\n\
                let b = my_crate::other::x;";
    let got: Vec<String> = imports(code).into_iter().collect();
    assert_eq!(got, ["admin", "api", "blocks", "config", "store"]);
    assert_eq!(code_of("use crate::a; // crate::b\n/// [`crate::c`]"), "use crate::a; \n");
    assert_eq!(module_of("objects/kit/mod.rs"), "objects");
    assert_eq!(module_of("api.rs"), "api");
}

#[test]
fn a_circle_is_found_and_named() {
    let files = [
        ("a.rs".to_owned(), "use crate::b::x;".to_owned()),
        ("b/mod.rs".to_owned(), "use crate::{c};".to_owned()),
        ("c.rs".to_owned(), "fn f() { crate::a::g() }".to_owned()),
        ("d.rs".to_owned(), "use crate::a;".to_owned()),
    ];
    assert_eq!(find_cycle(&module_graph(&files)), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    assert_eq!(find_cycle(&module_graph(&files[1..])), None);
}
