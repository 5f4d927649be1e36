//! `infra/template.yaml` against the code: the same functions as `functions/`, the same
//! routes as the API (with the authorizer where the route needs a token), the same
//! environment as `claimdesk_aws::config` reads, the same table as the engine queries, and
//! no reference to anything the template does not declare. (cfn-lint, run by the test
//! command, checks the template against CloudFormation's and SAM's schemas; it does not see
//! dangling references inside a SAM template.)

use claimdesk_aws::table::index_attributes;
use claimdesk_core::http::{function_named, lambda_routes, Grant};
use claimdesk_core::ports::Index;
use serde_yaml::Value;
use std::collections::{BTreeSet, HashMap};

fn template() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("infra/template.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn resources(template: &Value) -> &serde_yaml::Mapping {
    template["Resources"].as_mapping().unwrap()
}

fn of_type<'a>(template: &'a Value, kind: &str) -> Vec<(String, &'a Value)> {
    resources(template)
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .map(|(name, r)| (name.as_str().unwrap().to_string(), r))
        .collect()
}

fn binaries() -> BTreeSet<String> {
    claimdesk_bench::function_binaries().into_iter().collect()
}

/// function binary name → its resource.
fn functions(template: &Value) -> HashMap<String, &Value> {
    of_type(template, "AWS::Serverless::Function")
        .into_iter()
        .map(|(_, r)| {
            assert_eq!(r["Metadata"]["BuildMethod"], "rust-cargolambda");
            (
                r["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap().to_string(),
                r,
            )
        })
        .collect()
}

/// The functions' mains, their manifest and the template's API section are generated from
/// the route declarations; the checked-in files must be what the generator writes.
#[test]
fn the_generated_files_are_what_the_route_declarations_make() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let stale = claimdesk_aws::generate::stale(root).unwrap();
    assert!(
        stale.is_empty(),
        "stale generated files {stale:?}: run `cargo run -p claimdesk-aws --bin generate`"
    );
    let missing: Vec<_> = claimdesk_aws::generate::missing_events(root)
        .into_iter()
        .map(|g| g.path)
        .collect();
    assert!(missing.is_empty(), "routes without an events/api payload: {missing:?}");
}

#[test]
fn every_function_in_functions_and_no_other_is_built_for_arm64_on_al2023() {
    let template = template();
    let declared: BTreeSet<String> = functions(&template).keys().cloned().collect();
    assert_eq!(declared, binaries());
    let globals = &template["Globals"]["Function"];
    assert_eq!(globals["Runtime"], "provided.al2023");
    assert_eq!(globals["Architectures"][0], "arm64");
    assert_eq!(globals["CodeUri"], "../functions");
}

#[test]
fn every_route_is_wired_to_its_function_with_the_authorizer_where_needed() {
    let template = template();
    let mut wired = BTreeSet::new();
    for (binary, function) in functions(&template) {
        let Some(events) = function["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for event in events.values().filter(|e| e["Type"] == "HttpApi") {
            let properties = &event["Properties"];
            let method = properties["Method"].as_str().unwrap().to_ascii_uppercase();
            let path = properties["Path"].as_str().unwrap().to_string();
            let public = properties["Auth"]["Authorizer"] == "NONE";
            wired.insert((method, path, binary.clone(), public));
        }
    }
    let expected: BTreeSet<(String, String, String, bool)> = lambda_routes()
        .map(|(f, r)| (r.method.to_string(), r.path.to_string(), f.name.to_string(), r.public()))
        .collect();
    assert_eq!(wired, expected);
    let api = &resources(&template)["HttpApi"]["Properties"];
    assert_eq!(api["Auth"]["DefaultAuthorizer"], "CognitoJwt");
    assert!(
        !api["DefaultRouteSettings"]["ThrottlingRateLimit"].is_null(),
        "API throttling is set"
    );
    assert!(
        !api["DefaultRouteSettings"]["ThrottlingBurstLimit"].is_null(),
        "API throttling is set"
    );
}

#[test]
fn the_environment_is_what_the_functions_read() {
    let template = template();
    let variables: BTreeSet<String> = template["Globals"]["Function"]["Environment"]["Variables"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    let read: BTreeSet<String> = claimdesk_aws::config::VARIABLES.iter().map(|v| v.to_string()).collect();
    assert_eq!(variables, read);
    for (binary, function) in functions(&template) {
        assert!(
            function["Properties"]["Environment"].is_null(),
            "{binary} sets its own environment; keep it in Globals"
        );
    }
}

#[test]
fn the_table_has_the_keys_indexes_and_ttl_the_engine_uses() {
    let template = template();
    let table = &resources(&template)["Table"]["Properties"];
    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(table["TimeToLiveSpecification"]["AttributeName"], "expires_at");
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    let mut expected = BTreeSet::new();
    for index in Index::SECONDARY {
        let (pk, sk, name) = index_attributes(index);
        let projection = claimdesk_aws::provision::projection(index);
        let kept: Vec<String> = projection.non_key_attributes().iter().map(String::from).collect();
        expected.insert((
            name.unwrap().to_string(),
            pk.to_string(),
            sk.to_string(),
            projection.projection_type().unwrap().as_str().to_string(),
            kept,
        ));
    }
    let declared: BTreeSet<(String, String, String, String, Vec<String>)> = table["GlobalSecondaryIndexes"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|i| {
            let kept = i["Projection"]["NonKeyAttributes"]
                .as_sequence()
                .map(|names| names.iter().map(|n| n.as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            (
                i["IndexName"].as_str().unwrap().to_string(),
                i["KeySchema"][0]["AttributeName"].as_str().unwrap().to_string(),
                i["KeySchema"][1]["AttributeName"].as_str().unwrap().to_string(),
                i["Projection"]["ProjectionType"].as_str().unwrap().to_string(),
                kept,
            )
        })
        .collect();
    assert_eq!(declared, expected);
}

#[test]
fn asynchronous_functions_have_a_dead_letter_queue_and_every_function_alarms() {
    let template = template();
    let alarms = of_type(&template, "AWS::CloudWatch::Alarm");
    let alarmed = |function: &str, metric: &str| {
        alarms.iter().any(|(_, a)| {
            a["Properties"]["MetricName"] == metric
                && tagged_text(&a["Properties"]["Dimensions"][0]["Value"]) == Some(function)
        })
    };
    for (name, function) in of_type(&template, "AWS::Serverless::Function") {
        for metric in ["Errors", "Throttles"] {
            assert!(alarmed(&name, metric), "{name} has no {metric} alarm");
        }
        let events = function["Properties"]["Events"].as_mapping().unwrap();
        let asynchronous = events.values().any(|e| e["Type"] != "HttpApi");
        if asynchronous {
            assert_eq!(function["Properties"]["DeadLetterQueue"]["Type"], "SQS", "{name}");
        }
    }
    assert!(alarms.iter().any(|(_, a)| a["Properties"]["Namespace"] == "AWS/SQS"));
}

#[test]
fn each_function_has_its_own_role_naming_only_what_it_uses() {
    let template = template();
    for (binary, function) in functions(&template) {
        let role_name = tagged_text(&function["Properties"]["Role"]).unwrap();
        let role = &resources(&template)[role_name.trim_end_matches(".Arn")];
        let statements = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
            .as_sequence()
            .unwrap();
        let actions: BTreeSet<String> = statements
            .iter()
            .flat_map(|s| s["Action"].as_sequence().unwrap().iter())
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        for statement in statements {
            assert_ne!(statement["Resource"], "*", "{binary}: a wildcard resource");
        }
        assert!(
            actions.iter().all(|a| !a.ends_with(":*")),
            "{binary}: a wildcard action"
        );
        let uses = |prefix: &str| actions.iter().any(|a| a.starts_with(prefix));
        assert_eq!(uses("ses:"), binary == "deliver-outbox", "{binary} and SES");
        assert_eq!(uses("events:"), binary == "deliver-outbox", "{binary} and EventBridge");
        // Mailed attachments: inbound-email reads the raw mail and stores (or drops) its files.
        let mail = binary == "inbound-email";
        // Exports are written to S3 and fetched through a presigned GET.
        let export = binary == "export-warranty-claims" || binary == "export-rmas";
        // The search index: its indexer publishes versions; search and suggestions fetch them.
        let indexer = binary == "search-indexer";
        let index_reader = binary == "search" || binary == "suggest";
        assert_eq!(
            actions.contains("s3:PutObject"),
            binary == "upload-attachment" || binary == "upload-article-file" || mail || export || indexer,
            "{binary} and uploads"
        );
        assert_eq!(
            actions.contains("s3:GetObject"),
            binary == "get-attachment" || binary == "get-article-file" || mail || export || indexer || index_reader,
            "{binary}"
        );
        assert_eq!(
            actions.contains("s3:DeleteObject"),
            binary == "attachment-confirmed" || binary == "remove-article-file" || mail || indexer,
            "{binary}"
        );
        // An API function reaches the table only if its declaration grants it.
        let table = function_named(&binary).is_none_or(|f| f.may(Grant::ReadRecords) || f.may(Grant::ReadTable));
        assert_eq!(uses("dynamodb:"), table, "{binary} and the table");
    }
}

/// Every `!Ref`, `!GetAtt` and `${…}` names a parameter, a resource or a pseudo parameter.
#[test]
fn every_reference_names_something_declared() {
    let template = template();
    let mut known: BTreeSet<String> = resources(&template)
        .keys()
        .chain(template["Parameters"].as_mapping().unwrap().keys())
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    for pseudo in [
        "AWS::AccountId",
        "AWS::Region",
        "AWS::StackName",
        "AWS::Partition",
        "AWS::URLSuffix",
    ] {
        known.insert(pseudo.to_string());
    }
    let mut references = Vec::new();
    collect_references(&template, &mut references);
    assert!(references.len() > 100, "the walk found the references");
    for reference in references {
        let target = reference.split('.').next().unwrap();
        assert!(known.contains(target), "{reference} names nothing declared");
    }
}

/// The text under a tag such as `!Ref X` or `!GetAtt X.Arn`.
fn tagged_text(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) => tagged.value.as_str(),
        _ => None,
    }
}

fn collect_references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            match (tag.as_str(), &tagged.value) {
                ("!Ref", Value::String(name)) | ("!GetAtt", Value::String(name)) => out.push(name.clone()),
                ("!Sub", Value::String(text)) => out.extend(substitutions(text)),
                _ => collect_references(&tagged.value, out),
            }
        }
        Value::Mapping(map) => map.values().for_each(|v| collect_references(v, out)),
        Value::Sequence(items) => items.iter().for_each(|v| collect_references(v, out)),
        _ => {}
    }
}

fn substitutions(text: &str) -> Vec<String> {
    text.split("${")
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
        .filter(|name| !name.starts_with('!'))
        .collect()
}
