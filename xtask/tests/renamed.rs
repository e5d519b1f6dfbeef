//! An `operationId` upstream renames: regen finds the operation by the route the checked-in
//! fragment has for it, refuses, and names the new id and the config lines that follow it.

mod common;

use common::{document, json_200, regen_with};

/// Two operations of one tag; `getThing` answers an object with a `data` object.
fn upstream() -> String {
    let schema = "                type: object\n                properties:\n                  \
                  data: {type: object, properties: {id: {type: string}}}\n";
    let paths = format!(
        "  /other:\n    get:\n      operationId: listOther\n      tags: [Things]\n      responses:\n        \
         \"200\": {{description: ok}}\n  /thing:\n    get:\n      operationId: getThing\n      tags: [Things]\n{}",
        json_200(schema)
    );
    document("3.0.3", "Things", &paths)
}

const CONFIG: &str = "source: up.yaml\noutput: o.yaml\noperations:\n  - getThing\nnames:\n  getThing 200: ThingResponse\n  getThing 200 /data: Thing\n";

#[test]
fn a_renamed_operation_id_is_refused_naming_the_new_id_and_the_config_change() {
    let before = regen_with(CONFIG, &[("up.yaml", &upstream())], None).unwrap();
    let renamed = upstream().replace("operationId: getThing", "operationId: fetchThing");

    let err = regen_with(CONFIG, &[("up.yaml", &renamed)], Some(&before.text)).expect_err("never dropped silently");
    assert_eq!(err.pointer.as_deref(), Some("up.yaml#/paths/~1thing/get"), "{err}");
    let message = err.to_string();
    for part in [
        "operation getThing is not in up.yaml, but its route GET /thing is, as `fetchThing`: upstream renamed the operationId",
        "change one line in openapi/regen.yaml `operations:`\n  - getThing\nto\n  - fetchThing",
        "rename the `names:` locations that start with `getThing` (the type names stay):\n    fetchThing 200: ThingResponse\n    fetchThing 200 /data: Thing",
    ] {
        assert!(message.contains(part), "{part}\nnot in:\n{message}");
    }

    // The fix as given regenerates, and the report says what it costs.
    let fixed = CONFIG.replace("getThing", "fetchThing");
    let after = regen_with(&fixed, &[("up.yaml", &renamed)], Some(&before.text)).unwrap();
    let lines = after.api.unwrap().unwrap().lines();
    // Only the operation's own items move; the types keep their names.
    assert_eq!(
        lines,
        [
            "API change: major (breaking: release a new major version)",
            "major: `ThingsApi::get_thing` removed (was `fn() -> GetThingBuilder`)",
            "minor: `ThingsApi::fetch_thing` added (`fn() -> FetchThingBuilder`)",
        ]
    );
}

#[test]
fn without_a_checked_in_fragment_a_missing_operation_is_refused_with_the_pin() {
    let renamed = upstream().replace("operationId: getThing", "operationId: fetchThing");
    let err = regen_with(CONFIG, &[("up.yaml", &renamed)], None).expect_err("never dropped silently");
    assert!(
        err.to_string().contains("operation getThing is not in up.yaml; to keep it from an older snapshot"),
        "{err}"
    );
}

#[test]
fn a_route_that_is_gone_too_is_not_called_a_rename() {
    let before = regen_with(CONFIG, &[("up.yaml", &upstream())], None).unwrap();
    let moved = upstream().replace("operationId: getThing", "operationId: fetchThing").replace("/thing:", "/things:");
    let err = regen_with(CONFIG, &[("up.yaml", &moved)], Some(&before.text)).expect_err("never dropped silently");
    assert!(!err.to_string().contains("renamed"), "{err}");
}
