//! Checks of the edge's shape, read from its own sources (native tests, `make unit`):
//!
//! - no import circle between the edge's modules (a module is a top-level file or folder of
//!   `src/`; `objects/*` and `store/*` count as their folder);
//! - only `guard.rs` reads a cookie, the `Origin` header or a session (ARCHITECTURE invariant 7);
//! - SQL only in `store/` and `objects/kit/` (invariant 9).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, as (path relative to `dir` with `/`, text).
pub(crate) fn sources(dir: &Path) -> Vec<(String, String)> {
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

pub(crate) fn src_dir() -> PathBuf {
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

// -- guards and SQL ----------------------------------------------------------------------------

/// Files that may hold SQL: the store (D1 and the objects' own SQLite) and the object kit.
fn may_hold_sql(rel: &str) -> bool {
    rel.starts_with("store/") || rel.starts_with("objects/kit/")
}

/// SQL statements as they appear in string literals (split so this file does not match).
const SQL_MARKS: &[&str] =
    &[concat!("SEL", "ECT "), concat!("INSERT ", "INTO"), concat!("DELETE ", "FROM"), concat!("CREATE ", "TABLE")];

/// Where `UPDATE <table> SET` starts in `code` (byte offsets; the statement may go on over a
/// line break or a `\` continuation).
fn update_sets(code: &str) -> Vec<usize> {
    let mark = concat!("UPD", "ATE ");
    let skip = |s: &str| s.trim_start_matches(|c: char| c.is_whitespace() || c == '\\').to_owned();
    code.match_indices(mark)
        .filter(|(i, _)| {
            let rest = skip(&code[i + mark.len()..]);
            let table = ident_at(&rest);
            !table.is_empty() && skip(&rest[table.len()..]).starts_with("SET ")
        })
        .map(|(i, _)| i)
        .collect()
}

fn has_update_set(code: &str) -> bool {
    !update_sets(code).is_empty()
}

/// (file, line, what) for every SQL statement outside the allowed files.
fn sql_outside_the_store(files: &[(String, String)]) -> Vec<(String, usize, String)> {
    let mut out = Vec::new();
    for (rel, text) in files {
        if may_hold_sql(rel) || rel == "layering.rs" {
            continue;
        }
        let code = code_of(text);
        for (n, line) in code.lines().enumerate() {
            for mark in SQL_MARKS {
                if line.contains(mark) {
                    out.push((rel.clone(), n + 1, mark.trim().to_owned()));
                }
            }
        }
        for at in update_sets(&code) {
            out.push((rel.clone(), code[..at].lines().count().max(1), "UPDATE … SET".to_owned()));
        }
    }
    out
}

/// What only `guard.rs` may do: read a cookie or the `Origin` header, check a console session
/// or a visitor token. Matched case-insensitively in the code (comments left out).
const GUARD_ONLY: &[&str] = &[
    "get(\"cookie\")",
    "parse_cookie(",
    "session_token(",
    "get(\"origin\")",
    "session_operator(",
    "verify_visitor_token(",
];

/// The narrow exceptions of ARCHITECTURE invariant 7: (file, what, why).
const GUARD_EXCEPTIONS: &[(&str, &str, &str)] = &[
    ("http.rs", "get(\"origin\")", "the CORS preflight echoes the Origin it was asked from"),
    ("store/sessions.rs", "session_operator(", "the statement itself; only guard.rs calls it"),
];

/// (file, line, what) for every guard check outside `guard.rs` and its exceptions.
fn guard_checks_outside_the_guard(files: &[(String, String)]) -> Vec<(String, usize, String)> {
    let mut out = Vec::new();
    for (rel, text) in files {
        if rel == "guard.rs" || rel == "layering.rs" {
            continue;
        }
        for (n, line) in code_of(text).lines().enumerate() {
            let line = line.to_ascii_lowercase();
            for what in GUARD_ONLY {
                let excepted = GUARD_EXCEPTIONS.iter().any(|(f, w, _)| f == rel && w == what);
                if line.contains(what) && !excepted {
                    out.push((rel.clone(), n + 1, (*what).to_owned()));
                }
            }
        }
    }
    out
}

#[test]
fn no_sql_outside_the_store_and_the_object_kit() {
    let found = sql_outside_the_store(&sources(&src_dir()));
    assert!(found.is_empty(), "SQL outside edge/src/store and edge/src/objects/kit: {found:?}");
}

#[test]
fn only_the_guard_reads_cookies_origins_and_sessions() {
    let found = guard_checks_outside_the_guard(&sources(&src_dir()));
    assert!(found.is_empty(), "guard checks outside edge/src/guard.rs: {found:?}");
}

#[test]
fn the_checks_find_what_they_look_for() {
    let file = |rel: &str, text: &str| (rel.to_owned(), text.to_owned());
    let files = [
        file("api.rs", "let q = \"SELECT id FROM x\";\nlet u = \"UPDATE conversations \\\n   SET a = 1\";"),
        file("admin.rs", "db.prepare(\"UPDATE  accounts SET name = ?1\")"),
        file("blocks.rs", "// SELECT in a comment\nlet c = req.headers().get(\"Cookie\");"),
        file("store/accounts.rs", "\"SELECT id FROM accounts\""),
        file("reports.rs", "\"SELECT 1\""),
        file("http.rs", "req.headers().get(\"Origin\")"),
        file("tally.rs", "req.headers().get(\"Origin\"); crate::store::sessions::session_operator(d, x, t)"),
        file("guard.rs", "req.headers().get(\"Cookie\")"),
    ];
    let sql: Vec<(String, usize)> = sql_outside_the_store(&files).into_iter().map(|(f, n, _)| (f, n)).collect();
    assert_eq!(
        sql,
        [("api.rs".to_owned(), 1), ("api.rs".to_owned(), 2), ("admin.rs".to_owned(), 1), ("reports.rs".to_owned(), 1)]
    );
    assert!(has_update_set("\"UPDATE goals SET x\"") && !has_update_set("UPDATE the docs, SET aside"));
    let guard: Vec<(String, String)> =
        guard_checks_outside_the_guard(&files).into_iter().map(|(f, _, w)| (f, w)).collect();
    assert_eq!(
        guard,
        [
            ("blocks.rs".to_owned(), "get(\"cookie\")".to_owned()),
            ("tally.rs".to_owned(), "get(\"origin\")".to_owned()),
            ("tally.rs".to_owned(), "session_operator(".to_owned()),
        ]
    );
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
