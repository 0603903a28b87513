#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Black-box tests of the `moss` command line: the real binary, run as a user would, against a
//! SQLite file and (when one can be had) a Postgres database.

mod cli_support;

use std::net::TcpListener;

use cli_support::{
    Db, Server, assert_key, assert_timestamp, assert_typeid, dir_entries, http_agent, http_get, key_tokens, keys_of,
    sorted,
};
use moss_store_diesel::Backend;
use rstest::rstest;
use serde_json::{Value, json};

const WORKSPACE_KEYS: &[&str] = &["id", "name", "slug", "created_at", "updated_at", "owner_key"];
const MEMBER_KEYS: &[&str] = &["id", "email", "name", "role", "created_at", "updated_at"];
const KEY_KEYS: &[&str] = &[
    "id",
    "name",
    "scope",
    "prefix",
    "member_id",
    "expires_at",
    "last_used_at",
    "created_at",
];

fn created_key_keys() -> Vec<&'static str> {
    let mut keys = KEY_KEYS.to_vec();
    keys.push("key");
    sorted(&keys)
}

/// The `id` field of each record.
fn ids(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 1. workspace create

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn workspace_create_prints_the_workspace_and_its_owner_key_once(#[case] backend: Backend) {
    let Some(db) = Db::new(backend) else { return };
    let run = db.run(&["workspace", "create", "--name", "Acme Inc", "--slug", "acme", "--json"]);
    let out = run.ok().json();
    assert_eq!(keys_of(&out), ["data"], "envelope: {out}");
    let data = &out["data"];
    assert_eq!(keys_of(data), sorted(WORKSPACE_KEYS));
    assert_eq!(data["name"], "Acme Inc");
    assert_eq!(data["slug"], "acme");
    assert_typeid(&data["id"], "ws");
    assert_timestamp(&data["created_at"]);
    assert_timestamp(&data["updated_at"]);
    let owner_key = data["owner_key"].as_str().expect("owner_key");
    assert_key(owner_key);
    assert_eq!(
        run.stdout.matches(owner_key).count(),
        1,
        "the key is printed exactly once"
    );

    // The key belongs to the workspace's owner, and only its prefix is listed.
    let keys = db.keys("acme");
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0]["prefix"], owner_key[..12]);
    let members = db.members("acme");
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["email"], "owner@localhost");
    assert_eq!(members[0]["role"], "owner");
    assert_eq!(keys[0]["member_id"], members[0]["id"]);

    // Plain text output also shows the key once.
    let text = db.run(&[
        "workspace",
        "create",
        "--name",
        "Beta",
        "--slug",
        "beta",
        "--owner-email",
        "Boss@Beta.io",
    ]);
    let tokens = key_tokens(&text.ok().stdout);
    assert_eq!(tokens.len(), 1, "one key in:\n{}", text.stdout);
    assert_key(&tokens[0]);
    assert!(text.stdout.contains("beta"), "{}", text.stdout);
    let beta_members = db.members("beta");
    assert_eq!(beta_members.len(), 1);
    assert_eq!(
        beta_members[0]["email"].as_str().map(str::to_lowercase).as_deref(),
        Some("boss@beta.io")
    );
    assert_eq!(beta_members[0]["role"], "owner");

    // A taken slug is a conflict: exit 1 with a message, no key, nothing created.
    let dup = db.run(&["workspace", "create", "--name", "Other", "--slug", "acme"]);
    dup.code(1);
    assert!(
        dup.stderr.contains("acme"),
        "the message names the slug: {}",
        dup.stderr
    );
    assert!(
        key_tokens(&dup.stdout).is_empty() && key_tokens(&dup.stderr).is_empty(),
        "no key on failure"
    );
    let dup_json = db.run(&["workspace", "create", "--name", "Other", "--slug", "acme", "--json"]);
    assert_eq!(
        dup_json.code(1).json()["error"]["code"],
        "CONFLICT",
        "{}",
        dup_json.stdout
    );
    assert_eq!(db.keys("acme").len(), 1, "no key was added to the existing workspace");
    assert_eq!(db.members("acme").len(), 1);

    // Invalid slugs (and other bad input) are validation errors: exit 2.
    let too_long = "a".repeat(64);
    for slug in ["Bad Slug", "UPPER", "", "under_score", too_long.as_str()] {
        let bad = db.run(&["workspace", "create", "--name", "X", "--slug", slug]);
        bad.code(2);
        assert!(!bad.stderr.trim().is_empty(), "slug {slug:?}: a message on stderr");
        assert!(key_tokens(&bad.stdout).is_empty(), "slug {slug:?}: no key printed");
    }
    let bad_json = db.run(&["workspace", "create", "--name", "X", "--slug", "Bad Slug", "--json"]);
    let err = bad_json.code(2).json();
    assert_eq!(err["error"]["code"], "VALIDATION_ERROR", "{err}");
    db.run(&[
        "workspace",
        "create",
        "--name",
        "X",
        "--slug",
        "x",
        "--owner-email",
        "not-an-email",
    ])
    .code(2);
    db.run(&["member", "list", "--workspace", "x"]).code(4);
    // The longest valid slug is accepted.
    db.run(&["workspace", "create", "--name", "Long", "--slug", &"a".repeat(63)])
        .ok();
}

// ---------------------------------------------------------------------------------------------
// 2. global flags

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn global_flags_work_before_and_after_the_subcommand(#[case] backend: Backend) {
    let Some(db) = Db::new(backend) else { return };
    let url = db.url.as_str();

    let before = db.run_raw(
        &[
            "--database-url",
            url,
            "--json",
            "workspace",
            "create",
            "--name",
            "One",
            "--slug",
            "one",
        ],
        &[],
    );
    let after = db.run_raw(
        &[
            "workspace",
            "create",
            "--name",
            "Two",
            "--slug",
            "two",
            "--database-url",
            url,
            "--json",
        ],
        &[],
    );
    let between = db.run_raw(
        &[
            "workspace",
            "--json",
            "create",
            "--database-url",
            url,
            "--name",
            "Three",
            "--slug",
            "three",
        ],
        &[],
    );
    let outputs: Vec<Value> = [&before, &after, &between].iter().map(|r| r.ok().json()).collect();
    for out in &outputs {
        assert_eq!(keys_of(&out["data"]), sorted(WORKSPACE_KEYS), "{out}");
    }
    assert_eq!(outputs[0]["data"]["slug"], "one");
    assert_eq!(outputs[1]["data"]["slug"], "two");
    assert_eq!(outputs[2]["data"]["slug"], "three");

    // All three went to the same database, which the other position also reads.
    let list_before = db.run_raw(
        &["--json", "--database-url", url, "key", "list", "--workspace", "two"],
        &[],
    );
    let list_after = db.run_raw(
        &["key", "list", "--workspace", "one", "--json", "--database-url", url],
        &[],
    );
    let list_before = list_before.ok().json();
    let list_after = list_after.ok().json();
    assert_eq!(keys_of(&list_before), keys_of(&list_after));
    assert_eq!(
        list_before["data"][0]["prefix"],
        outputs[1]["data"]["owner_key"].as_str().unwrap()[..12]
    );
    assert_eq!(
        list_after["data"][0]["prefix"],
        outputs[0]["data"]["owner_key"].as_str().unwrap()[..12]
    );

    // Without --json, the same command prints text, not JSON.
    let text = db.run_raw(&["key", "list", "--workspace", "one", "--database-url", url], &[]);
    assert!(
        serde_json::from_str::<Value>(&text.ok().stdout).is_err(),
        "text output: {}",
        text.stdout
    );
    assert!(
        text.stdout.contains(list_after["data"][0]["id"].as_str().unwrap()),
        "{}",
        text.stdout
    );

    // DATABASE_URL from the environment; the flag wins over it.
    let from_env = db.run_raw(
        &["member", "list", "--workspace", "three", "--json"],
        &[("DATABASE_URL", url)],
    );
    assert_eq!(from_env.ok().json()["data"][0]["email"], "owner@localhost");
    let elsewhere = db.cwd.path().join("elsewhere.db");
    let flag_wins = db.run_raw(
        &[
            "member",
            "list",
            "--workspace",
            "three",
            "--json",
            "--database-url",
            url,
        ],
        &[("DATABASE_URL", "mysql://nope")],
    );
    flag_wins.ok();
    let env_other = db.run_raw(
        &["member", "list", "--workspace", "three"],
        &[("DATABASE_URL", &elsewhere.display().to_string())],
    );
    env_other.code(1);
    assert!(env_other.stderr.contains("elsewhere.db"), "{}", env_other.stderr);

    // Nothing fell back to the default sqlite://moss.db in the working directory, and the
    // missing elsewhere.db was not created.
    assert_eq!(db.cwd_entries(), Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------------
// 3. keys

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn key_create_list_and_revoke(#[case] backend: Backend) {
    let Some(db) = Db::new(backend) else { return };
    let ws = db.create_workspace("Acme", "acme");
    let owner_key = ws["owner_key"].as_str().unwrap().to_owned();
    let owner_id = db.members("acme")[0]["id"].clone();

    // A read_only key: every field, the secret exactly once.
    let run = db.run(&[
        "key",
        "create",
        "--workspace",
        "acme",
        "--name",
        "ci",
        "--scope",
        "read_only",
        "--json",
    ]);
    let out = run.ok().json();
    assert_eq!(keys_of(&out), ["data"]);
    let data = &out["data"];
    assert_eq!(keys_of(data), created_key_keys());
    let ci_id = assert_typeid(&data["id"], "key");
    let ci_key = data["key"].as_str().unwrap().to_owned();
    assert_key(&ci_key);
    assert_eq!(run.stdout.matches(&ci_key).count(), 1);
    assert_eq!(data["name"], "ci");
    assert_eq!(data["scope"], "read_only");
    assert_eq!(data["prefix"], ci_key[..12]);
    assert_eq!(data["member_id"], owner_id, "default member: the first owner");
    assert_eq!(data["expires_at"], Value::Null);
    assert_eq!(data["last_used_at"], Value::Null);
    assert_timestamp(&data["created_at"]);

    // The dashed spelling is accepted too; the default scope is full; an expiry round-trips.
    let dashed = db.run(&[
        "key",
        "create",
        "--workspace",
        "acme",
        "--name",
        "dashed",
        "--scope",
        "read-only",
        "--json",
    ]);
    assert_eq!(dashed.ok().json()["data"]["scope"], "read_only");
    let later = db.run(&[
        "key",
        "create",
        "--workspace",
        "acme",
        "--name",
        "later",
        "--expires-at",
        "2999-01-31T12:00:00Z",
        "--json",
    ]);
    let later = later.ok().json()["data"].clone();
    assert_eq!(later["scope"], "full");
    assert_eq!(later["expires_at"], "2999-01-31T12:00:00Z");
    let later_key = later["key"].as_str().unwrap().to_owned();
    // Text output: the secret once.
    let text = db.run(&["key", "create", "--workspace", "acme", "--name", "text"]);
    let tokens = key_tokens(&text.ok().stdout);
    assert_eq!(tokens.len(), 1, "{}", text.stdout);
    let text_key = tokens[0].clone();
    assert_key(&text_key);

    // Listings never show a secret: only 12-character prefixes.
    let list = db.run(&["key", "list", "--workspace", "acme", "--json"]);
    let listed = list.ok().json();
    let records = listed["data"].as_array().unwrap();
    assert_eq!(records.len(), 5, "{listed}");
    assert_eq!(listed["meta"]["total"], 5);
    for secret in [&owner_key, &ci_key, &later_key, &text_key] {
        assert!(!list.stdout.contains(secret.as_str()), "list shows a secret");
        assert!(
            records.iter().any(|r| r["prefix"] == secret[..12]),
            "prefix of {} listed",
            &secret[..12]
        );
    }
    for record in records {
        assert_eq!(keys_of(record), sorted(KEY_KEYS), "no `key` in listings: {record}");
    }
    for token in key_tokens(&list.stdout) {
        assert_eq!(token.len(), 12, "only prefixes: {token}");
    }
    let ci = records.iter().find(|r| r["id"] == ci_id.as_str()).expect("ci listed");
    assert_eq!(ci["scope"], "read_only");
    assert_eq!(ci["name"], "ci");
    let text_list = db.run(&["key", "list", "--workspace", "acme"]);
    for token in key_tokens(&text_list.ok().stdout) {
        assert_eq!(token.len(), 12, "only prefixes in text: {token}");
    }
    assert!(text_list.stdout.contains(&ci_id));

    // Revoking needs --confirm: exit 2, and nothing is revoked.
    let unconfirmed = db.run(&["key", "revoke", "--workspace", "acme", "--id", &ci_id]);
    unconfirmed.code(2);
    assert!(unconfirmed.stderr.contains("--confirm"), "{}", unconfirmed.stderr);
    assert!(ids(&db.keys("acme")).contains(&ci_id));

    // Another workspace cannot revoke it: not found, and it stays.
    db.create_workspace("Other", "other");
    db.run(&["key", "revoke", "--workspace", "other", "--id", &ci_id, "--confirm"])
        .code(4);
    assert!(ids(&db.keys("acme")).contains(&ci_id));

    // With --confirm it is gone from the list (the others stay); again: not found.
    let revoked = db.run(&[
        "key",
        "revoke",
        "--workspace",
        "acme",
        "--id",
        &ci_id,
        "--confirm",
        "--json",
    ]);
    assert_eq!(revoked.ok().json(), json!({ "data": null }));
    let remaining = ids(&db.keys("acme"));
    assert_eq!(remaining.len(), 4);
    assert!(!remaining.contains(&ci_id));
    db.run(&["key", "revoke", "--workspace", "acme", "--id", &ci_id, "--confirm"])
        .code(4);

    // Unknown ids, workspaces and members: exit 4.
    let unknown = db.run(&[
        "key",
        "revoke",
        "--workspace",
        "acme",
        "--id",
        "key_01h455vb4pex5vsknk084sn02q",
        "--confirm",
    ]);
    unknown.code(4);
    assert!(!unknown.stderr.trim().is_empty());
    db.run(&["key", "revoke", "--workspace", "acme", "--id", "nonsense", "--confirm"])
        .code(4);
    db.run(&[
        "key",
        "revoke",
        "--workspace",
        "acme",
        "--id",
        ws["id"].as_str().unwrap(),
        "--confirm",
    ])
    .code(4);
    db.run(&[
        "key",
        "revoke",
        "--workspace",
        "nope",
        "--id",
        &remaining[0],
        "--confirm",
    ])
    .code(4);
    let no_ws = db.run(&["key", "create", "--workspace", "nope", "--name", "k"]);
    no_ws.code(4);
    assert!(no_ws.stderr.contains("nope"), "{}", no_ws.stderr);
    db.run(&["key", "list", "--workspace", "nope"]).code(4);
    let no_member = db.run(&[
        "key",
        "create",
        "--workspace",
        "acme",
        "--name",
        "k",
        "--member",
        "ghost@example.com",
    ]);
    no_member.code(4);
    assert!(key_tokens(&no_member.stdout).is_empty());
    let no_member_json = db.run(&[
        "key",
        "create",
        "--workspace",
        "acme",
        "--name",
        "k",
        "--member",
        "ghost@example.com",
        "--json",
    ]);
    assert_eq!(no_member_json.code(4).json()["error"]["code"], "NOT_FOUND");

    // Bad input: exit 2.
    let past = db.run(&[
        "key",
        "create",
        "--workspace",
        "acme",
        "--name",
        "old",
        "--expires-at",
        "2000-01-01T00:00:00Z",
    ]);
    past.code(2);
    assert!(past.stderr.contains("expires_at"), "{}", past.stderr);
    db.run(&[
        "key",
        "create",
        "--workspace",
        "acme",
        "--name",
        "bad",
        "--expires-at",
        "tomorrow",
    ])
    .code(2);
    db.run(&[
        "key",
        "create",
        "--workspace",
        "acme",
        "--name",
        "bad",
        "--scope",
        "admin",
    ])
    .code(2);
    db.run(&["key", "create", "--workspace", "acme", "--name", ""]).code(2);
    assert_eq!(db.keys("acme").len(), 4, "failed creates add no key");

    // --member picks the member (email case-insensitively).
    db.run(&["member", "add", "--workspace", "acme", "--email", "Bob@Example.com"])
        .ok();
    let members = db.members("acme");
    let bob = members.iter().find(|m| {
        m["email"]
            .as_str()
            .is_some_and(|e| e.eq_ignore_ascii_case("bob@example.com"))
    });
    let bob_id = bob.expect("bob listed")["id"].clone();
    let bob_key = db.run(&[
        "key",
        "create",
        "--workspace",
        "acme",
        "--name",
        "bob",
        "--member",
        "bob@EXAMPLE.com",
        "--json",
    ]);
    assert_eq!(bob_key.ok().json()["data"]["member_id"], bob_id);
    // The other workspace's member is not a member here.
    db.run(&["member", "add", "--workspace", "other", "--email", "carol@other.io"])
        .ok();
    db.run(&[
        "key",
        "create",
        "--workspace",
        "acme",
        "--name",
        "carol",
        "--member",
        "carol@other.io",
    ])
    .code(4);
    assert_eq!(db.keys("acme").len(), 5);
    assert_eq!(db.keys("other").len(), 1);
}

// ---------------------------------------------------------------------------------------------
// 4. members

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn member_add_and_list(#[case] backend: Backend) {
    let Some(db) = Db::new(backend) else { return };
    db.create_workspace("Acme", "acme");

    let bob = db.run(&[
        "member",
        "add",
        "--workspace",
        "acme",
        "--email",
        "Bob@Example.com",
        "--name",
        "Bob",
        "--json",
    ]);
    let bob = bob.ok().json();
    assert_eq!(keys_of(&bob), ["data"]);
    let bob = &bob["data"];
    assert_eq!(keys_of(bob), sorted(MEMBER_KEYS));
    assert_typeid(&bob["id"], "usr");
    assert_eq!(
        bob["email"].as_str().map(str::to_lowercase).as_deref(),
        Some("bob@example.com")
    );
    assert_eq!(bob["name"], "Bob");
    assert_eq!(bob["role"], "member", "default role");
    assert_timestamp(&bob["created_at"]);
    assert_timestamp(&bob["updated_at"]);

    let ann = db.run(&[
        "member",
        "add",
        "--workspace",
        "acme",
        "--email",
        "ann@example.com",
        "--role",
        "owner",
        "--json",
    ]);
    let ann = ann.ok().json()["data"].clone();
    assert_eq!(ann["role"], "owner");
    assert_eq!(ann["name"], Value::Null);
    let text = db.run(&[
        "member",
        "add",
        "--workspace",
        "acme",
        "--email",
        "cid@example.com",
        "--role",
        "member",
    ]);
    assert!(text.ok().stdout.contains("cid@example.com"), "{}", text.stdout);

    // Email is unique per workspace, case-insensitively: a conflict, exit 1.
    let dup = db.run(&["member", "add", "--workspace", "acme", "--email", "bob@example.COM"]);
    dup.code(1);
    assert!(!dup.stderr.trim().is_empty(), "a message");
    let dup_json = db.run(&[
        "member",
        "add",
        "--workspace",
        "acme",
        "--email",
        "BOB@EXAMPLE.COM",
        "--json",
    ]);
    assert_eq!(dup_json.code(1).json()["error"]["code"], "CONFLICT");
    db.run(&["member", "add", "--workspace", "acme", "--email", "OWNER@localhost"])
        .code(1);

    // Bad input: exit 2. Unknown workspace: exit 4.
    for email in ["not-an-email", "", "a@", "@b.io"] {
        db.run(&["member", "add", "--workspace", "acme", "--email", email])
            .code(2);
    }
    db.run(&[
        "member",
        "add",
        "--workspace",
        "acme",
        "--email",
        "dee@example.com",
        "--role",
        "admin",
    ])
    .code(2);
    db.run(&["member", "add", "--workspace", "nope", "--email", "dee@example.com"])
        .code(4);
    db.run(&["member", "list", "--workspace", "nope"]).code(4);

    // The list: the owner first, then the members added, with their roles; nothing else.
    let list = db.run(&["member", "list", "--workspace", "acme", "--json"]);
    let list = list.ok().json();
    let members = list["data"].as_array().unwrap();
    let summary: Vec<(String, String)> = members
        .iter()
        .map(|m| {
            (
                m["email"].as_str().unwrap().to_lowercase(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("owner@localhost", "owner"),
        ("bob@example.com", "member"),
        ("ann@example.com", "owner"),
        ("cid@example.com", "member"),
    ];
    assert_eq!(summary, expected.map(|(e, r)| (e.to_owned(), r.to_owned())), "{list}");
    assert_eq!(list["meta"]["total"], 4);
    for m in members {
        assert_eq!(keys_of(m), sorted(MEMBER_KEYS));
    }
    assert_eq!(members[1]["id"], bob["id"]);

    // Another workspace has its own members, and the same email may be used there.
    db.create_workspace("Other", "other");
    db.run(&["member", "add", "--workspace", "other", "--email", "bob@example.com"])
        .ok();
    assert_eq!(db.members("other").len(), 2);
    assert_eq!(db.members("acme").len(), 4);
    let text_list = db.run(&["member", "list", "--workspace", "acme"]);
    assert!(
        text_list.ok().stdout.contains("ann@example.com"),
        "{}",
        text_list.stdout
    );
}

// ---------------------------------------------------------------------------------------------
// 5. DATABASE_URL

#[test]
fn a_bad_database_url_is_a_validation_error_naming_database_url() {
    let Some(db) = Db::new(Backend::Sqlite) else { return };
    let bad = [
        "mysql://x",
        "postgress://x",
        "postgres:/x",
        "moss.sqlite",
        "sqlite://",
        "moss",
        "",
    ];
    let commands: &[&[&str]] = &[
        &["migrate"],
        &["workspace", "create", "--name", "A", "--slug", "a"],
        &["member", "list", "--workspace", "default"],
        &["key", "list", "--workspace", "default"],
        &["serve", "--bind", "127.0.0.1:0"],
    ];
    for url in bad {
        for command in commands {
            let mut args = vec!["--database-url", url];
            args.extend_from_slice(command);
            let run = db.run_raw(&args, &[]);
            run.code(2);
            assert!(
                run.stderr.contains("DATABASE_URL"),
                "{url:?} {command:?}: stderr names DATABASE_URL: {}",
                run.stderr
            );
            assert!(!run.stdout.contains("moss_k_"), "{url:?} {command:?}: no key");
        }
        // From the environment too.
        let run = db.run_raw(&["migrate"], &[("DATABASE_URL", url)]);
        run.code(2);
        assert!(run.stderr.contains("DATABASE_URL"), "{url:?} from env: {}", run.stderr);
    }
    // Nothing was created: not a file named after the URL, not the default moss.db.
    assert_eq!(db.cwd_entries(), Vec::<String>::new());
}

#[test]
fn every_accepted_sqlite_url_form_works() {
    let Some(db) = Db::new(Backend::Sqlite) else { return };
    let abs_dir = tempfile::tempdir().unwrap();
    let abs = abs_dir.path().join("abs.db");
    let abs_url = format!("sqlite://{}", abs.display());
    assert!(abs_url.starts_with("sqlite:///"), "{abs_url}");
    for (url, file) in [
        ("bare.db", "bare.db"),
        ("sqlite://rel.db", "rel.db"),
        ("sqlite://sub/dir/nested.db", "sub"),
    ] {
        db.run_raw(&["--database-url", url, "migrate"], &[]).ok();
        db.run_raw(
            &[
                "--database-url",
                url,
                "workspace",
                "create",
                "--name",
                "A",
                "--slug",
                "a",
            ],
            &[],
        )
        .ok();
        assert!(
            db.cwd_entries().contains(&file.to_owned()),
            "{url} creates {file} in the working directory"
        );
        // The data is really there.
        db.run_raw(&["--database-url", url, "member", "list", "--workspace", "a"], &[])
            .ok();
    }
    assert!(db.cwd.path().join("sub/dir/nested.db").is_file());
    db.run_raw(&["--database-url", &abs_url, "migrate"], &[]).ok();
    db.run_raw(
        &[
            "--database-url",
            &abs_url,
            "workspace",
            "create",
            "--name",
            "A",
            "--slug",
            "a",
        ],
        &[],
    )
    .ok();
    assert!(abs.is_file());
    db.run_raw(&["--database-url", &abs_url, "member", "list", "--workspace", "a"], &[])
        .ok();
    assert_eq!(
        dir_entries(db.cwd.path()),
        ["bare.db", "rel.db", "sub"],
        "no default moss.db"
    );
}

/// Every command but `serve` and `migrate`, on a workspace `default`.
const ADMIN_COMMANDS: &[&[&str]] = &[
    &["workspace", "create", "--name", "A", "--slug", "a"],
    &["member", "add", "--workspace", "default", "--email", "a@example.com"],
    &["member", "list", "--workspace", "default"],
    &["key", "create", "--workspace", "default", "--name", "k"],
    &["key", "list", "--workspace", "default"],
    &[
        "key",
        "revoke",
        "--workspace",
        "default",
        "--id",
        "key_01m8h0bdeaewrta40ae8wt04pg",
        "--confirm",
    ],
    &["audit", "list", "--workspace", "default"],
];

#[test]
fn admin_commands_on_a_missing_sqlite_file_create_nothing_and_say_how_to_make_one() {
    let db = Db::sqlite_to_create();
    let file = db.file_to_create().to_owned();
    let abs = file.display().to_string();
    let urls = [
        (db.url.clone(), abs.clone()),
        (abs.clone(), abs.clone()),
        ("missing.db".to_owned(), "missing.db".to_owned()),
        ("sqlite://missing.db".to_owned(), "missing.db".to_owned()),
        ("sqlite://sub/missing.db".to_owned(), "sub/missing.db".to_owned()),
    ];
    for (url, shown) in &urls {
        for command in ADMIN_COMMANDS {
            for json in [false, true] {
                let mut args = command.to_vec();
                if json {
                    args.push("--json");
                }
                let run = db.run_raw(&args, &[("DATABASE_URL", url)]);
                run.code(1);
                assert!(
                    run.stderr.contains(shown.as_str()) && run.stderr.contains("moss migrate"),
                    "{url} {args:?}: the message names the file and how to make one: {}",
                    run.stderr
                );
                assert_eq!(run.stdout, "", "{url} {args:?}");
            }
        }
        let run = db.run_raw(&["--database-url", url, "key", "list", "--workspace", "default"], &[]);
        run.code(1);
    }
    assert!(!file.parent().unwrap().exists(), "no directory was created");
    assert_eq!(db.cwd_entries(), Vec::<String>::new(), "no file was created");

    // `migrate` creates the database, its directory included; then the commands run.
    db.run(&["migrate"]).ok();
    assert!(file.is_file());
    db.run(&["member", "list", "--workspace", "default"]).code(4);
    db.create_workspace("Default", "default");
    for command in ADMIN_COMMANDS {
        let run = db.run(command);
        assert!(matches!(run.code, 0 | 4), "{command:?}: {run:?}");
    }
}

#[test]
fn serve_creates_a_missing_sqlite_database_and_its_directory() {
    let db = Db::sqlite_to_create();
    let mut server = Server::start(&db);
    let line = server.wait_for_line("curl", |l| l.trim_start().starts_with("curl "));
    let (url, key) = parse_curl_line(&line);
    assert_eq!(http_get(&http_agent(), &url, Some(&key)).0, 200);
    assert!(db.file_to_create().is_file());
    assert_eq!(db.keys("default").len(), 1);
}

/// A local port where nothing listens (it was free a moment ago).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[rstest]
#[case::postgres(Backend::Postgres)]
#[case::sqlite(Backend::Sqlite)]
fn a_database_that_cannot_be_reached_is_said_so_not_called_a_failed_migration(#[case] backend: Backend) {
    let db = Db::sqlite_to_create();
    let (url, shown) = match backend {
        Backend::Postgres => {
            let port = closed_port();
            (
                format!("postgres://moss:secret@127.0.0.1:{port}/moss"),
                format!("cannot connect to the database at postgres://moss:***@127.0.0.1:{port}/moss: "),
            )
        }
        // A directory where the file should be: there, but it cannot be opened.
        Backend::Sqlite => {
            std::fs::create_dir(db.cwd.path().join("dir.db")).unwrap();
            (
                "sqlite://dir.db".to_owned(),
                "cannot open the database at sqlite://dir.db: ".to_owned(),
            )
        }
    };
    let mut commands: Vec<&[&str]> = vec![&["migrate"], &["serve", "--bind", "127.0.0.1:0"]];
    commands.extend_from_slice(ADMIN_COMMANDS);
    for command in commands {
        let run = db.run_raw(command, &[("DATABASE_URL", &url)]);
        run.code(1);
        assert!(run.stderr.contains(&shown), "{command:?}: {}", run.stderr);
        assert!(
            !run.stderr.contains("migration") && !run.stderr.contains("secret"),
            "{command:?}: {}",
            run.stderr
        );
        assert!(key_tokens(&run.stdout).is_empty(), "{command:?}: no key");
    }
}

#[test]
fn postgresql_scheme_is_accepted() {
    let Some(db) = Db::new(Backend::Postgres) else { return };
    let url = db.url.replacen("postgres://", "postgresql://", 1);
    assert!(url.starts_with("postgresql://"), "{url}");
    db.run_raw(
        &[
            "--database-url",
            &url,
            "workspace",
            "create",
            "--name",
            "A",
            "--slug",
            "a",
        ],
        &[],
    )
    .ok();
    db.run(&["member", "list", "--workspace", "a"]).ok();
    assert_eq!(db.cwd_entries(), Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------------
// 6. serve

/// The URL and key of the banner's `curl -s URL -H "X-API-Key: KEY"` line.
fn parse_curl_line(line: &str) -> (String, String) {
    let rest = line
        .trim()
        .strip_prefix("curl -s ")
        .unwrap_or_else(|| panic!("not a curl line: {line:?}"));
    let (url, header) = rest.split_once(' ').unwrap_or_else(|| panic!("no header in {line:?}"));
    let key = header
        .strip_prefix("-H \"X-API-Key: ")
        .and_then(|h| h.strip_suffix('"'))
        .unwrap_or_else(|| panic!("no X-API-Key header in {line:?}"));
    (url.to_owned(), key.to_owned())
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn serve_bootstraps_an_empty_database_once_and_its_curl_line_works(#[case] backend: Backend) {
    let Some(db) = Db::new(backend) else { return };
    let agent = http_agent();
    let empty_list = json!({ "data": [], "meta": { "page": 1, "per_page": 25, "total": 0, "total_pages": 0 } });

    let key = {
        let mut server = Server::start(&db);
        let line = server.wait_for_line("curl", |l| l.trim_start().starts_with("curl "));
        let (url, key) = parse_curl_line(&line);
        assert_key(&key);
        assert!(
            url.starts_with("http://127.0.0.1:") && url.ends_with("/api/v1/contacts"),
            "{url}"
        );
        assert!(!url.contains("127.0.0.1:0/"), "the bound port is printed, not 0: {url}");
        assert!(
            server.lines.iter().any(|l| l.trim() == key),
            "the key on a line of its own:\n{}",
            server.lines.join("\n")
        );

        let (status, body) = http_get(&agent, &url, Some(&key));
        assert_eq!(status, 200, "{body}");
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), empty_list, "{body}");
        let (status, _) = http_get(&agent, &url, None);
        assert_eq!(status, 401, "the key is what made it work");
        key
        // The server is killed here.
    };

    // What it created: workspace `default`, owner owner@localhost, that one key.
    let members = db.members("default");
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["email"], "owner@localhost");
    assert_eq!(members[0]["role"], "owner");
    let keys = db.keys("default");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["prefix"], key[..12]);
    assert_eq!(keys[0]["member_id"], members[0]["id"]);

    // A second start on the same database prints no key and creates nothing; the first key
    // still works.
    let mut server = Server::start(&db);
    let line = server.wait_for_line("curl", |l| l.contains("curl "));
    assert!(line.contains("<key>"), "{line}");
    let printed = server.lines.join("\n");
    assert!(key_tokens(&printed).is_empty(), "no key on a restart:\n{printed}");
    let new_url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("url")
        .to_owned();
    assert!(new_url.ends_with("/api/v1/contacts"), "{new_url}");
    let (status, body) = http_get(&agent, &new_url, Some(&key));
    assert_eq!(status, 200, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), empty_list);
    drop(server);
    assert_eq!(db.keys("default").len(), 1);
}

#[test]
fn serve_that_cannot_bind_does_not_use_up_the_first_owner_key() {
    let Some(db) = Db::new(Backend::Sqlite) else { return };
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let failed = db.run(&["serve", "--bind", &addr]);
    failed.code(1);
    assert!(
        failed.stderr.contains(&addr),
        "the message names the address: {}",
        failed.stderr
    );
    assert!(key_tokens(&failed.stdout).is_empty(), "{}", failed.stdout);
    drop(taken);

    // The bootstrap did not happen, so the next start still prints the owner key.
    db.run(&["member", "list", "--workspace", "default"]).code(4);
    let mut server = Server::start(&db);
    let line = server.wait_for_line("curl", |l| l.contains("curl "));
    let (url, key) = parse_curl_line(&line);
    let (status, body) = http_get(&http_agent(), &url, Some(&key));
    assert_eq!(status, 200, "{body}");
}

/// Starts `moss serve` on `db` and returns the command its banner suggests for making a key.
fn suggested_key_command(db: &Db) -> Vec<String> {
    let mut server = Server::start(db);
    let line = server.wait_for_line("make-a-key", |l| l.starts_with("Make a key with: "));
    let command = line.strip_prefix("Make a key with: moss ").expect("a moss command");
    command.split_whitespace().map(str::to_owned).collect()
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn the_banner_suggests_making_a_key_in_a_workspace_that_exists(#[case] backend: Backend) {
    let Some(db) = Db::new(backend) else { return };
    // Only `zeta`, made by hand: no bootstrap, and no workspace `default`.
    db.create_workspace("Zeta", "zeta");
    let command = suggested_key_command(&db);
    let args: Vec<&str> = command.iter().map(String::as_str).collect();
    assert_eq!(args[..4], ["key", "create", "--workspace", "zeta"], "{command:?}");
    // And it works as printed.
    let made = db.run(&args);
    made.ok();
    assert_eq!(key_tokens(&made.stdout).len(), 1, "{}", made.stdout);
    assert_eq!(db.keys("zeta").len(), 2);

    // The oldest workspace, not the newest or the first in order...
    db.create_workspace("Acme", "acme");
    assert_eq!(suggested_key_command(&db)[3], "zeta");
    // ...unless `default` exists.
    db.create_workspace("Default", "default");
    assert_eq!(suggested_key_command(&db)[3], "default");
}

#[test]
fn keys_made_by_the_cli_are_honoured_by_the_server() {
    let Some(db) = Db::new(Backend::Sqlite) else { return };
    let mut server = Server::start(&db);
    let (url, owner_key) = parse_curl_line(&server.wait_for_line("curl", |l| l.contains("curl ")));
    let agent = http_agent();

    let read_only = db.run(&[
        "key",
        "create",
        "--workspace",
        "default",
        "--name",
        "ro",
        "--scope",
        "read_only",
        "--json",
    ]);
    let read_only = read_only.ok().json()["data"].clone();
    let ro_key = read_only["key"].as_str().unwrap();
    assert_eq!(http_get(&agent, &url, Some(ro_key)).0, 200, "a read_only key reads");
    let resp = agent
        .post(&url)
        .header("X-API-Key", ro_key)
        .header("Content-Type", "application/json")
        .send(r#"{"first_name":"Ada"}"#)
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403, "a read_only key cannot write");

    // Revoked from the CLI: 401 from then on; the owner key is unaffected.
    db.run(&[
        "key",
        "revoke",
        "--workspace",
        "default",
        "--id",
        read_only["id"].as_str().unwrap(),
        "--confirm",
    ])
    .ok();
    assert_eq!(http_get(&agent, &url, Some(ro_key)).0, 401, "a revoked key is refused");
    assert_eq!(http_get(&agent, &url, Some(&owner_key)).0, 200);
}

// ---------------------------------------------------------------------------------------------
// 7. migrate

#[test]
fn migrate_applies_once_then_is_up_to_date() {
    let db = Db::sqlite_to_create();
    let first = db.run(&["migrate"]);
    assert!(first.ok().stdout.starts_with("Applied "), "{}", first.stdout);
    assert!(
        db.file_to_create().is_file(),
        "migrate creates the file and its directory"
    );
    let second = db.run(&["migrate"]);
    assert!(second.ok().stdout.contains("up to date"), "{}", second.stdout);
    assert_eq!(
        db.run(&["migrate", "--json"]).ok().json(),
        json!({ "data": { "applied": [], "normalized": { "rewritten": 0, "collisions": [] } } })
    );
    // The migrated database is usable.
    db.create_workspace("A", "a");

    let fresh = Db::sqlite_to_create();
    let applied = fresh.run(&["--json", "migrate"]).ok().json();
    let names = applied["data"]["applied"].as_array().expect("applied list");
    assert!(!names.is_empty(), "{applied}");
}

#[test]
fn migrate_on_a_migrated_postgres_database_is_up_to_date() {
    let Some(db) = Db::new(Backend::Postgres) else { return };
    let run = db.run(&["migrate"]);
    assert!(run.ok().stdout.contains("up to date"), "{}", run.stdout);
    db.run(&["migrate"]).ok();
}

// ---------------------------------------------------------------------------------------------
// 8. audit list

const AUDIT_KEYS: &[&str] = &[
    "id",
    "event_type",
    "target_type",
    "target_id",
    "actor_type",
    "actor_id",
    "request_id",
    "ip",
    "metadata",
    "created_at",
];

/// The `data` array of an envelope.
#[track_caller]
fn data_of(out: &Value) -> Vec<Value> {
    out["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data array: {out}"))
        .clone()
}

/// The value of `field` in each entry.
fn field_of(entries: &[Value], field: &str) -> Vec<String> {
    entries
        .iter()
        .map(|e| {
            e[field]
                .as_str()
                .unwrap_or_else(|| panic!("no {field}: {e}"))
                .to_owned()
        })
        .collect()
}

/// An entry written by the CLI: every key, actor `system` without an id, no IP, its own
/// generated `req_` request id.
#[track_caller]
fn assert_cli_entry(e: &Value) {
    assert_eq!(keys_of(e), sorted(AUDIT_KEYS), "{e}");
    assert_typeid(&e["id"], "aud");
    assert_eq!(e["actor_type"], "system", "{e}");
    assert_eq!(e["actor_id"], Value::Null, "{e}");
    assert_eq!(e["ip"], Value::Null, "{e}");
    assert_typeid(&e["request_id"], "req");
    assert!(e["metadata"].is_object(), "{e}");
    assert_timestamp(&e["created_at"]);
    let event = e["event_type"].as_str().unwrap();
    let target = e["target_type"].as_str().unwrap();
    assert!(
        event.starts_with(&format!("{target}.")),
        "event_type is <target_type>.<verb>: {e}"
    );
}

/// Asserts entries are newest first.
#[track_caller]
fn assert_newest_first(entries: &[Value]) {
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = entries
        .iter()
        .map(|e| chrono::DateTime::parse_from_rfc3339(e["created_at"].as_str().unwrap()).unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first: {entries:#?}");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn audit_list_shows_every_cli_change_newest_first(#[case] backend: Backend) {
    let Some(db) = Db::new(backend) else { return };
    let ws = db.create_workspace("Acme", "acme");
    let ws_id = ws["id"].as_str().unwrap().to_owned();
    let key = db
        .run(&["key", "create", "--workspace", "acme", "--name", "ci", "--json"])
        .ok()
        .json()["data"]
        .clone();
    let key_id = key["id"].as_str().unwrap().to_owned();
    let member = db
        .run(&[
            "member",
            "add",
            "--workspace",
            "acme",
            "--email",
            "bob@example.com",
            "--json",
        ])
        .ok()
        .json()["data"]
        .clone();
    let member_id = member["id"].as_str().unwrap().to_owned();

    let run = db.run(&["audit", "list", "--workspace", "acme", "--json"]);
    let out = run.ok().json();
    assert_eq!(keys_of(&out), ["data", "meta"], "{out}");
    assert_eq!(
        out["meta"],
        json!({ "page": 1, "per_page": 3, "total": 3, "total_pages": 1 }),
        "{out}"
    );
    let entries = data_of(&out);
    assert_eq!(
        field_of(&entries, "event_type"),
        ["member.created", "api_key.created", "workspace.created"],
        "newest first: {out}"
    );
    assert_eq!(field_of(&entries, "target_type"), ["member", "api_key", "workspace"]);
    assert_eq!(field_of(&entries, "target_id"), [member_id.as_str(), &key_id, &ws_id]);
    for e in &entries {
        assert_cli_entry(e);
    }
    assert_newest_first(&entries);
    let request_ids = field_of(&entries, "request_id");
    let distinct: std::collections::BTreeSet<&String> = request_ids.iter().collect();
    assert_eq!(
        distinct.len(),
        3,
        "each command has its own request id: {request_ids:?}"
    );
    let audit_ids = field_of(&entries, "id");
    assert_eq!(audit_ids.iter().collect::<std::collections::BTreeSet<_>>().len(), 3);
    // No secret: not the owner key, not the new key, nothing that looks like a key.
    for line in run.stdout.lines() {
        assert!(!line.contains("moss_k_"), "a secret in the audit log: {line}");
    }

    // A failed command writes nothing; a revocation is one more entry, on top.
    db.run(&["member", "add", "--workspace", "acme", "--email", "BOB@example.com"])
        .code(1);
    db.run(&["key", "create", "--workspace", "acme", "--name", ""]).code(2);
    assert_eq!(data_of(&db.audit("acme", &[])).len(), 3, "failures are not audited");
    db.run(&["key", "revoke", "--workspace", "acme", "--id", &key_id, "--confirm"])
        .ok();
    let entries = data_of(&db.audit("acme", &[]));
    assert_eq!(
        field_of(&entries, "event_type"),
        [
            "api_key.revoked",
            "member.created",
            "api_key.created",
            "workspace.created"
        ]
    );
    assert_eq!(entries[0]["target_id"], key_id.as_str());
    assert_cli_entry(&entries[0]);
    assert_newest_first(&entries);
    assert_eq!(field_of(&entries[1..], "id"), audit_ids, "entries never change");

    // Plain text: one line per entry, newest first, with its event type and request id; no secret.
    let text = db.run(&["audit", "list", "--workspace", "acme"]);
    let lines: Vec<&str> = text.ok().stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 4, "{}", text.stdout);
    for (line, e) in lines.iter().zip(&entries) {
        assert!(line.contains(e["event_type"].as_str().unwrap()), "{line}");
        assert!(line.contains(e["target_id"].as_str().unwrap()), "{line}");
        assert!(line.contains(e["request_id"].as_str().unwrap()), "{line}");
        assert!(!line.contains("moss_k_"), "{line}");
    }

    // Each workspace has its own log; a new workspace's creation is in its own.
    let other = db.create_workspace("Other", "other");
    let others = data_of(&db.audit("other", &[]));
    assert_eq!(field_of(&others, "event_type"), ["workspace.created"]);
    assert_eq!(others[0]["target_id"], other["id"]);
    assert_eq!(data_of(&db.audit("acme", &[])).len(), 4, "acme's log did not grow");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn audit_list_filters_combine_and_limit(#[case] backend: Backend) {
    let Some(db) = Db::new(backend) else { return };
    let ws_id = db.create_workspace("Acme", "acme")["id"].as_str().unwrap().to_owned();
    let key = db
        .run(&["key", "create", "--workspace", "acme", "--name", "ci", "--json"])
        .ok()
        .json()["data"]
        .clone();
    let key_id = key["id"].as_str().unwrap().to_owned();
    db.run(&["member", "add", "--workspace", "acme", "--email", "bob@example.com"])
        .ok();
    db.run(&["member", "add", "--workspace", "acme", "--email", "ann@example.com"])
        .ok();
    let all = data_of(&db.audit("acme", &[]));
    let events = field_of(&all, "event_type");
    assert_eq!(
        events,
        [
            "member.created",
            "member.created",
            "api_key.created",
            "workspace.created"
        ]
    );
    // The entries a filter selects, as indexes into `all`.
    let select = |filters: &[&str]| -> Vec<usize> {
        let out = db.audit("acme", filters);
        let got = data_of(&out);
        if !filters.contains(&"--limit") {
            assert_eq!(out["meta"]["total"], got.len(), "{out}");
        }
        got.iter()
            .map(|e| {
                all.iter()
                    .position(|a| a == e)
                    .unwrap_or_else(|| panic!("not in the full list: {e}"))
            })
            .collect()
    };

    assert_eq!(select(&["--event-type", "member.created"]), [0, 1]);
    assert_eq!(select(&["--event-type", "api_key.created"]), [2]);
    assert_eq!(select(&["--event-type", "workspace.created"]), [3]);
    assert_eq!(select(&["--event-type", "contact.created"]), Vec::<usize>::new());
    assert_eq!(
        select(&["--event-type", "member"]),
        Vec::<usize>::new(),
        "exact match, not prefix"
    );
    assert_eq!(select(&["--target-type", "member"]), [0, 1]);
    assert_eq!(select(&["--target-type", "api_key"]), [2]);
    assert_eq!(select(&["--target-id", &key_id]), [2]);
    assert_eq!(select(&["--target-id", &ws_id]), [3]);
    assert_eq!(select(&["--target-id", all[1]["target_id"].as_str().unwrap()]), [1]);
    assert_eq!(select(&["--actor-type", "system"]), [0, 1, 2, 3]);
    assert_eq!(select(&["--actor-type", "api_key"]), Vec::<usize>::new());
    assert_eq!(
        select(&["--actor-id", &key_id]),
        Vec::<usize>::new(),
        "system entries have no actor id"
    );
    for (i, e) in all.iter().enumerate() {
        assert_eq!(select(&["--request-id", e["request_id"].as_str().unwrap()]), [i]);
    }
    // Filters combine with AND.
    assert_eq!(
        select(&["--event-type", "member.created", "--actor-type", "system"]),
        [0, 1]
    );
    assert_eq!(
        select(&[
            "--event-type",
            "member.created",
            "--target-id",
            all[0]["target_id"].as_str().unwrap()
        ]),
        [0]
    );
    assert_eq!(
        select(&["--event-type", "member.created", "--target-id", &key_id]),
        Vec::<usize>::new()
    );
    assert_eq!(
        select(&[
            "--target-type",
            "api_key",
            "--request-id",
            all[0]["request_id"].as_str().unwrap()
        ]),
        Vec::<usize>::new()
    );
    // --limit keeps the newest N.
    assert_eq!(select(&["--limit", "1"]), [0]);
    assert_eq!(select(&["--limit", "3"]), [0, 1, 2]);
    assert_eq!(select(&["--limit", "100"]), [0, 1, 2, 3]);
    assert_eq!(select(&["--event-type", "member.created", "--limit", "1"]), [0]);
    let text = db.run(&["audit", "list", "--workspace", "acme", "--limit", "2"]);
    assert_eq!(text.ok().stdout.lines().filter(|l| !l.trim().is_empty()).count(), 2);
}

#[test]
fn audit_list_of_an_unknown_workspace_is_not_found() {
    let Some(db) = Db::new(Backend::Sqlite) else { return };
    db.create_workspace("Acme", "acme");
    let run = db.run(&["audit", "list", "--workspace", "nope"]);
    run.code(4);
    assert!(
        run.stderr.contains("nope"),
        "the message names the slug: {}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
    let json = db.run(&["audit", "list", "--workspace", "nope", "--json"]);
    assert_eq!(json.code(4).json()["error"]["code"], "NOT_FOUND", "{}", json.stdout);
    // Usage errors: exit 2.
    db.run(&["audit", "list"]).code(2);
    db.run(&["audit", "list", "--workspace", "acme", "--limit", "many"])
        .code(2);
    db.run(&["audit", "list", "--workspace", "acme", "--limit", "-1"])
        .code(2);
}

// ---------------------------------------------------------------------------------------------
// 9. serve settings

/// Every setting of `moss serve` that must be at least 1, as (variable, flag).
const AT_LEAST_ONE: &[(&str, &str)] = &[
    ("MOSS_DB_POOL_SIZE", "--db-pool-size"),
    ("MOSS_DB_TIMEOUT", "--db-timeout"),
    ("MOSS_RATE_LIMIT_RPS", "--rate-limit-rps"),
    ("MOSS_RATE_LIMIT_BURST", "--rate-limit-burst"),
    ("MOSS_AUTH_FAILURE_RPS", "--auth-failure-rps"),
    ("MOSS_REQUEST_TIMEOUT", "--request-timeout"),
    ("MOSS_CLIENT_TIMEOUT", "--client-timeout"),
    ("MOSS_BODY_TIMEOUT", "--body-timeout"),
];

/// `moss <args>` with a bad setting: exit 2, a message naming the variable, and nothing done
/// (no database file, no banner).
#[track_caller]
fn assert_refused_setting(db: &Db, var: &str, args: &[&str], env: &[(&str, &str)]) {
    let mut all = vec!["--database-url", "sqlite://settings.db", "serve"];
    all.extend_from_slice(args);
    let run = db.run_raw(&all, env);
    run.code(2);
    assert!(
        run.stderr.contains(var),
        "{args:?} {env:?}: the message names {var}: {}",
        run.stderr
    );
    assert_eq!(run.stdout, "", "{args:?} {env:?}: nothing served");
    assert_eq!(
        db.cwd_entries(),
        Vec::<String>::new(),
        "{args:?} {env:?}: nothing created"
    );
}

#[test]
fn serve_refuses_zero_for_settings_that_must_be_at_least_one_naming_the_variable() {
    let Some(db) = Db::new(Backend::Sqlite) else { return };
    let bind = ("MOSS_BIND", "127.0.0.1:0");
    for (var, flag) in AT_LEAST_ONE {
        for value in ["0", "-1", "many"] {
            assert_refused_setting(&db, var, &[], &[(var, value), bind]);
            assert_refused_setting(&db, var, &[&format!("{flag}={value}")], &[bind]);
        }
    }
    for value in ["86399", "315360001"] {
        assert_refused_setting(
            &db,
            "MOSS_IDEMPOTENCY_TTL",
            &[],
            &[("MOSS_IDEMPOTENCY_TTL", value), bind],
        );
    }
}

#[test]
fn serve_on_an_address_that_does_not_parse_is_a_bad_setting_but_one_that_cannot_be_bound_is_not() {
    let Some(db) = Db::new(Backend::Sqlite) else { return };
    // None of these needs a DNS lookup to be refused.
    for bind in ["nonsense", "127.0.0.1", "127.0.0.1:99999", "127.0.0.1:http", ""] {
        assert_refused_setting(&db, "MOSS_BIND", &["--bind", bind], &[]);
        assert_refused_setting(&db, "MOSS_BIND", &[], &[("MOSS_BIND", bind)]);
    }
    // An address of no interface of this machine (TEST-NET-1) parses but cannot be bound.
    let run = db.run(&["serve", "--bind", "192.0.2.1:8080"]);
    run.code(1);
    assert!(run.stderr.contains("192.0.2.1:8080"), "{}", run.stderr);
}

#[test]
fn serve_and_openapi_refuse_json_before_or_after_the_subcommand() {
    let Some(db) = Db::new(Backend::Sqlite) else { return };
    let url = ["--database-url", "sqlite://json.db"];
    for args in [
        &["--json", "serve", "--bind", "127.0.0.1:0"][..],
        &["serve", "--bind", "127.0.0.1:0", "--json"],
        &["--json", "openapi"],
        &["openapi", "--json"],
    ] {
        let run = db.run_raw(&[&url[..], args].concat(), &[]);
        run.code(2);
        assert!(run.stderr.contains("--json"), "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{args:?}: nothing printed");
    }
    assert_eq!(db.cwd_entries(), Vec::<String>::new(), "nothing created");
    // Without it, openapi prints the document.
    let doc = db.run(&["openapi"]);
    assert!(doc.ok().json()["openapi"].is_string());
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
fn migrate_normalizes_old_text_and_reports_rows_that_would_collide(#[case] backend: Backend) {
    use diesel::prelude::*;
    use diesel::sql_types::{Text, Timestamp};
    let Some(db) = Db::new(backend) else { return };
    let ws = db.create_workspace("Acme", "acme")["id"].as_str().unwrap().to_owned();
    // Two contacts written before Moss normalized text: their emails differ only in how the é
    // is encoded, which the old lower-cased keys kept apart.
    let mut conn = moss_store_diesel::DatabaseUrl::parse(&db.url)
        .unwrap()
        .connect()
        .unwrap();
    let now = chrono::Utc::now().naive_utc();
    let mut ids = Vec::new();
    for (i, email) in ["jos\u{e9}@example.com", "jose\u{301}@example.com"]
        .into_iter()
        .enumerate()
    {
        let id = format!("cnt_01h455vb4pex5vsknk084sn0{i}q");
        diesel::sql_query(
            "INSERT INTO contacts (id, workspace_id, first_name, email, email_lower, custom_fields, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4, '{}', $5, $5)",
        )
        .bind::<Text, _>(&id)
        .bind::<Text, _>(&ws)
        .bind::<Text, _>("Jose\u{301}")
        .bind::<Text, _>(email)
        .bind::<Timestamp, _>(now)
        .execute(&mut conn)
        .unwrap();
        ids.push(id);
    }
    for _ in 0..2 {
        let run = db.run(&["migrate"]);
        run.ok();
        assert!(run.stdout.contains(&format!("  contact {}", ids[1])), "{}", run.stdout);
        assert!(!run.stdout.contains(&ids[0]), "{}", run.stdout);
    }
    let json = db.run(&["migrate", "--json"]).ok().json();
    assert_eq!(
        json["data"]["normalized"]["collisions"],
        json!([format!("contact {}", ids[1])])
    );
    assert_eq!(
        json["data"]["normalized"]["rewritten"], 0,
        "a second run rewrites nothing"
    );
}
