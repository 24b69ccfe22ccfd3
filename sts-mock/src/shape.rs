//! The shapes of AWS's service models (the types [`crate::aws_model`]'s generated tables are
//! made of) and the one validator that checks a Query-protocol request against them, before any
//! handler runs, the way AWS's front end does: every violated constraint of every member, in the
//! model's member order, in one `ValidationError`.
//!
//! Wording (AWS's, as recorded in shared/aws-recorded and quoted from real answers):
//! "Value 'x' at 'roleName' failed to satisfy constraint: Member must have length less than or
//! equal to 64"; "Value null at 'webIdentityToken' ... Member must not be null"; members of
//! lists at their index (`tags.1.member.key`); values of sensitive members are not echoed
//! ("Value at 'username' ...", as Cognito answers for its sensitive members).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::error::AwsError;
use crate::query::Params;

/// The service an operation belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// AWS STS, Query protocol version 2011-06-15.
    Sts,
    /// AWS IAM, Query protocol version 2010-05-08.
    Iam,
    /// The AWS Account Management API, REST-JSON protocol version 2021-02-01.
    Account,
}

impl Service {
    /// The API version clients send in `Version`.
    pub fn version(self) -> &'static str {
        match self {
            Service::Sts => "2011-06-15",
            Service::Iam => "2010-05-08",
            Service::Account => "2021-02-01",
        }
    }
    /// The XML namespace of its answers (Query protocol; the Account API answers JSON, and its
    /// errors inside an XML document would name no namespace).
    pub fn namespace(self) -> &'static str {
        match self {
            Service::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
            Service::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
            Service::Account => "",
        }
    }
    /// The IAM action namespace (`sts:...`, `iam:...`, `account:...`) and SigV4 signing name.
    pub fn prefix(self) -> &'static str {
        match self {
            Service::Sts => "sts",
            Service::Iam => "iam",
            Service::Account => "account",
        }
    }
}

/// One operation of a service model.
#[derive(Debug)]
pub struct Operation {
    /// Which service.
    pub service: Service,
    /// `CreateRole`.
    pub name: &'static str,
    /// The input shape (a structure).
    pub input: Option<&'static Shape>,
    /// `CreateRoleResult`: the element that wraps the answer, present even when empty.
    pub result_wrapper: Option<&'static str>,
    /// The errors the model lists for it.
    pub errors: &'static [crate::error::ErrorCode],
    /// Whether AWS requires a SigV4 signature (`AssumeRoleWithWebIdentity` is unsigned).
    pub signed: bool,
    /// A REST-JSON operation's path (`/listRegions`); `None` for Query operations.
    pub rest_path: Option<&'static str>,
}

/// A member of a structure.
#[derive(Debug)]
pub struct Member {
    /// The wire name, `RoleName`.
    pub name: &'static str,
    /// Whether the model requires it.
    pub required: bool,
    /// Its shape.
    pub shape: &'static Shape,
}

/// A structure shape.
#[derive(Debug)]
pub struct Structure {
    /// The model's shape name.
    pub name: &'static str,
    /// Members in the model's order (the order failures are reported in).
    pub members: &'static [Member],
}

/// A list shape.
#[derive(Debug)]
pub struct ListShape {
    /// The model's shape name.
    pub name: &'static str,
    /// Fewest members.
    pub min: Option<u64>,
    /// Most members.
    pub max: Option<u64>,
    /// The members' shape.
    pub member: &'static Shape,
}

/// A string shape.
#[derive(Debug)]
pub struct StringShape {
    /// The model's shape name.
    pub name: &'static str,
    /// Shortest length, in characters.
    pub min: Option<u64>,
    /// Longest length, in characters.
    pub max: Option<u64>,
    /// The model's regular expression (Java syntax, whole-string match).
    pub pattern: Option<&'static str>,
    /// Allowed values, if an enum.
    pub enum_values: &'static [&'static str],
    /// Values are not echoed in messages.
    pub sensitive: bool,
}

/// An integer shape.
#[derive(Debug)]
pub struct IntegerShape {
    /// The model's shape name.
    pub name: &'static str,
    /// Smallest value.
    pub min: Option<i64>,
    /// Largest value.
    pub max: Option<i64>,
}

/// A shape of a service model.
#[derive(Debug)]
pub enum Shape {
    /// A structure.
    Structure(Structure),
    /// A list.
    List(ListShape),
    /// A string.
    String(StringShape),
    /// An integer (or long).
    Integer(IntegerShape),
    /// A boolean.
    Boolean {
        /// The model's shape name.
        name: &'static str,
    },
    /// A timestamp.
    Timestamp {
        /// The model's shape name.
        name: &'static str,
    },
}

/// Every operation served, of every service, in the model's order.
pub fn operations() -> &'static [Operation] {
    crate::aws_model::OPERATIONS
}

/// The operation `name` of `service`, if served.
pub fn operation(service: Service, name: &str) -> Option<&'static Operation> {
    crate::aws_model::OPERATIONS
        .iter()
        .find(|o| o.service == service && o.name == name)
}

/// Checks `params` against `operation`'s input shape: `Ok` or the `ValidationError` listing
/// every violated constraint.
pub fn validate(operation: &Operation, params: &Params) -> Result<(), AwsError> {
    let Some(Shape::Structure(input)) = operation.input else {
        return Ok(());
    };
    let index = ListIndex::new(params);
    let mut failures = Vec::new();
    check_structure(input, params, &index, "", "", &mut failures);
    match failures.is_empty() {
        true => Ok(()),
        false => Err(AwsError::validation(&failures)),
    }
}

/// Where the list members of a request are: `Tags.member.3.Key` makes `Tags` have a member 3.
/// Built once per request so that finding a list's members never rescans every parameter.
struct ListIndex {
    members: HashMap<String, Vec<usize>>,
}

/// A list may claim at most this many members: far above any AWS list maximum, so a request
/// naming `X.member.999999999` costs nothing.
const MAX_LIST_INDEX: usize = 10_000;

impl ListIndex {
    fn new(params: &Params) -> ListIndex {
        let mut members: HashMap<String, Vec<usize>> = HashMap::new();
        for (key, _) in params.iter() {
            let mut rest = key;
            let mut prefix_len = 0;
            // Every `.member.N` in the key names a member of the list before it (nested lists too).
            while let Some(at) = rest.find(".member.") {
                let list = &key[..prefix_len + at];
                let after = &rest[at + ".member.".len()..];
                let digits = after.bytes().take_while(u8::is_ascii_digit).count();
                if let Ok(n) = after[..digits].parse::<usize>() {
                    if (1..=MAX_LIST_INDEX).contains(&n) {
                        let entry = members.entry(list.to_string()).or_default();
                        if !entry.contains(&n) {
                            entry.push(n);
                        }
                    }
                }
                prefix_len += at + ".member.".len();
                rest = &key[prefix_len..];
            }
        }
        for v in members.values_mut() {
            v.sort_unstable();
        }
        ListIndex { members }
    }

    /// The member indexes of list `wire`, 1, 2, ... up to the first gap (as AWS's Query
    /// deserialiser reads lists).
    fn count(&self, wire: &str) -> usize {
        match self.members.get(wire) {
            None => 0,
            Some(indexes) => indexes
                .iter()
                .enumerate()
                .take_while(|(i, n)| **n == i + 1)
                .count(),
        }
    }
}

/// How a value is shown in a failure.
enum Shown<'a> {
    Null,
    Hidden,
    Text(&'a str),
    Owned(String),
}

fn failure(value: Shown<'_>, path: &dyn std::fmt::Display, constraint: &str) -> String {
    let value = match value {
        Shown::Null => "Value null".to_string(),
        Shown::Hidden => "Value".to_string(),
        Shown::Text(v) => format!("Value '{v}'"),
        Shown::Owned(v) => format!("Value '{v}'"),
    };
    format!("{value} at '{path}' failed to satisfy constraint: {constraint}")
}

/// `RoleName` -> `roleName`, AWS's spelling of members in messages.
pub fn message_name(wire: &str) -> String {
    let mut chars = wire.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn check_structure(
    structure: &Structure,
    params: &Params,
    index: &ListIndex,
    wire_prefix: &str,
    path_prefix: &str,
    failures: &mut Vec<String>,
) {
    for member in structure.members {
        // Top-level members (the common case) need no allocation: the wire name is the
        // member's, and the message path is only spelt out when something fails.
        let wire: std::borrow::Cow<'_, str> = if wire_prefix.is_empty() {
            std::borrow::Cow::Borrowed(member.name)
        } else {
            std::borrow::Cow::Owned(format!("{wire_prefix}{}", member.name))
        };
        let path = Path {
            prefix: path_prefix,
            member: member.name,
        };
        check_member(member, params, index, &wire, &path, failures);
    }
}

/// Where a member is, as AWS's messages spell it: `prefix` (`tags.1.member.`) and the wire name
/// of the member, whose first letter is lower-cased when shown.
#[derive(Clone, Copy)]
struct Path<'a> {
    prefix: &'a str,
    member: &'a str,
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.prefix)?;
        let mut chars = self.member.chars();
        if let Some(first) = chars.next() {
            for c in first.to_lowercase() {
                std::fmt::Write::write_char(f, c)?;
            }
            f.write_str(chars.as_str())?;
        }
        Ok(())
    }
}

fn check_member(
    member: &Member,
    params: &Params,
    index: &ListIndex,
    wire: &str,
    path: &dyn std::fmt::Display,
    failures: &mut Vec<String>,
) {
    match member.shape {
        Shape::Structure(s) => {
            let present = params.iter().any(|(k, _)| {
                k.strip_prefix(wire)
                    .is_some_and(|rest| rest.starts_with('.'))
            });
            if !present {
                if member.required {
                    failures.push(failure(Shown::Null, path, "Member must not be null"));
                }
                return;
            }
            check_structure(
                s,
                params,
                index,
                &format!("{wire}."),
                &format!("{path}."),
                failures,
            );
        }
        Shape::List(list) => {
            let count = index.count(wire);
            // An empty list travels as `Name=` (botocore's serialisation of `[]`).
            let empty_marker = params.get(wire).is_some();
            if count == 0 && !empty_marker {
                if member.required {
                    failures.push(failure(Shown::Null, path, "Member must not be null"));
                }
                return;
            }
            check_list_length(list, params, wire, path, count, failures);
            for i in 1..=count {
                let element_wire = format!("{wire}.member.{i}");
                let element_path = format!("{path}.{i}.member");
                let element_path: &dyn std::fmt::Display = &element_path;
                let element = Member {
                    name: "",
                    // A list member that is absent is skipped by the index; present ones are
                    // checked as values.
                    required: false,
                    shape: list.member,
                };
                check_value(
                    &element,
                    params,
                    index,
                    &element_wire,
                    &element_path,
                    failures,
                );
            }
        }
        _ => {
            if params.get(wire).is_none() {
                if member.required {
                    failures.push(failure(Shown::Null, path, "Member must not be null"));
                }
                return;
            }
            check_value(member, params, index, wire, path, failures);
        }
    }
}

/// A present value (or a list element), by its shape.
fn check_value(
    member: &Member,
    params: &Params,
    index: &ListIndex,
    wire: &str,
    path: &dyn std::fmt::Display,
    failures: &mut Vec<String>,
) {
    match member.shape {
        Shape::Structure(s) => check_structure(
            s,
            params,
            index,
            &format!("{wire}."),
            &format!("{path}."),
            failures,
        ),
        Shape::List(_) => check_member(member, params, index, wire, path, failures),
        Shape::String(s) => {
            if let Some(value) = params.get(wire) {
                check_string(s, value, path, failures);
            }
        }
        Shape::Integer(s) => {
            let Some(text) = params.get(wire) else {
                return;
            };
            match text.trim().parse::<i64>() {
                // Guess: AWS's Query deserialiser refuses a non-integer for an integer member;
                // its wording is not documented.
                Err(_) => {
                    failures.push(failure(Shown::Text(text), path, "Member must be a number"))
                }
                Ok(n) => {
                    if let Some(min) = s.min.filter(|min| n < *min) {
                        failures.push(failure(
                            Shown::Text(text),
                            path,
                            &format!("Member must have value greater than or equal to {min}"),
                        ));
                    }
                    if let Some(max) = s.max.filter(|max| n > *max) {
                        failures.push(failure(
                            Shown::Text(text),
                            path,
                            &format!("Member must have value less than or equal to {max}"),
                        ));
                    }
                }
            }
        }
        Shape::Boolean { .. } => {
            if let Some(text) = params.get(wire) {
                if !matches!(text, "true" | "false") {
                    // Guess: as for integers.
                    failures.push(failure(Shown::Text(text), path, "Member must be a boolean"));
                }
            }
        }
        Shape::Timestamp { .. } => {}
    }
}

fn check_list_length(
    list: &ListShape,
    params: &Params,
    wire: &str,
    path: &dyn std::fmt::Display,
    count: usize,
    failures: &mut Vec<String>,
) {
    let too_few = list.min.filter(|min| (count as u64) < *min);
    let too_many = list.max.filter(|max| (count as u64) > *max);
    if too_few.is_none() && too_many.is_none() {
        return;
    }
    // Lists of strings are echoed as Java prints a list ("[a, b]"); lists of structures are
    // not echoed. Guess: AWS's rendering of structure lists is not publicly quoted.
    let shown = match list.member {
        Shape::String(s) if !s.sensitive => {
            let items: Vec<&str> = (1..=count)
                .filter_map(|i| params.get(&format!("{wire}.member.{i}")))
                .collect();
            Shown::Owned(format!("[{}]", items.join(", ")))
        }
        _ => Shown::Hidden,
    };
    let constraint = match (too_few, too_many) {
        (Some(min), _) => format!("Member must have length greater than or equal to {min}"),
        (_, Some(max)) => format!("Member must have length less than or equal to {max}"),
        _ => unreachable!("checked above"),
    };
    failures.push(failure(shown, path, &constraint));
}

fn check_string(
    s: &StringShape,
    value: &str,
    path: &dyn std::fmt::Display,
    failures: &mut Vec<String>,
) {
    let shown = || {
        if s.sensitive {
            Shown::Hidden
        } else {
            Shown::Text(value)
        }
    };
    // Guess: AWS counts Java string length (UTF-16 units); characters match it for every
    // value outside the astral planes.
    let len = value.chars().count() as u64;
    // The pattern before the length: STS answers an empty RoleArn with "2 validation errors
    // detected: Value '' at 'roleArn' failed to satisfy constraint: Member must satisfy regular
    // expression pattern: ...; Value '' at 'roleArn' failed to satisfy constraint: Member must
    // have length greater than or equal to 20" (newscorpaus/consigliere #18). Guess: IAM orders
    // them the same way (other AWS services are quoted both ways).
    if let Some(pattern) = s.pattern {
        if !pattern_matches(pattern, value) {
            failures.push(failure(
                shown(),
                path,
                &format!("Member must satisfy regular expression pattern: {pattern}"),
            ));
        }
    }
    if let Some(min) = s.min.filter(|min| len < *min) {
        failures.push(failure(
            shown(),
            path,
            &format!("Member must have length greater than or equal to {min}"),
        ));
    }
    if let Some(max) = s.max.filter(|max| len > *max) {
        failures.push(failure(
            shown(),
            path,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    if !s.enum_values.is_empty() && !s.enum_values.contains(&value) {
        // IAM words enum failures without the value and without the set (aws-recorded:
        // "Value at 'status' failed to satisfy constraint: Member must satisfy enum value set").
        failures.push(failure(
            Shown::Hidden,
            path,
            "Member must satisfy enum value set",
        ));
    }
}

/// Whether `value` matches the model's (Java) `pattern` as a whole.
pub fn pattern_matches(pattern: &'static str, value: &str) -> bool {
    compiled(pattern).is_some_and(|re| re.is_match(value))
}

fn compiled(pattern: &'static str) -> Option<&'static regex::Regex> {
    // The patterns are the generated tables' `&'static str`s: a few dozen, looked up by
    // address (no hashing of the text on every request), compiled once each.
    type Cache = Vec<(usize, usize, Option<&'static regex::Regex>)>;
    static CACHE: OnceLock<std::sync::RwLock<Cache>> = OnceLock::new();
    let key = (pattern.as_ptr() as usize, pattern.len());
    let cache = CACHE.get_or_init(Default::default);
    let hit = |entries: &Cache| {
        entries
            .iter()
            .find(|(p, l, _)| (*p, *l) == key)
            .map(|(_, _, re)| *re)
    };
    if let Some(re) = hit(&cache.read().unwrap_or_else(|e| e.into_inner())) {
        return re;
    }
    let mut entries = cache.write().unwrap_or_else(|e| e.into_inner());
    if let Some(re) = hit(&entries) {
        return re;
    }
    let translated = format!(r"\A(?:{})\z", java_to_rust(pattern));
    // Leaked once per distinct pattern: only `'static` patterns come here (the generated
    // tables'), a fixed set, so this is bounded by the binary itself.
    let re = regex::Regex::new(&translated)
        .ok()
        .map(|re| &*Box::leak(Box::new(re)));
    entries.push((key.0, key.1, re));
    re
}

/// Java regex to Rust regex: Java's `\w` and `\d` are ASCII-only, Rust's are Unicode, so they
/// become explicit ASCII ranges (inside a character class, without brackets).
fn java_to_rust(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut in_class = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('w') if in_class => out.push_str("0-9A-Za-z_"),
                Some('w') => out.push_str("[0-9A-Za-z_]"),
                Some('d') if in_class => out.push_str("0-9"),
                Some('d') => out.push_str("[0-9]"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push_str(r"\\"),
            },
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(text: &str) -> Params {
        Params::parse(text.as_bytes())
    }

    fn check(service: Service, op: &str, text: &str) -> Result<(), String> {
        validate(operation(service, op).unwrap(), &params(text)).map_err(|e| e.message)
    }

    #[test]
    fn every_model_pattern_compiles() {
        fn walk(shape: &Shape) {
            match shape {
                Shape::Structure(s) => s.members.iter().for_each(|m| walk(m.shape)),
                Shape::List(l) => walk(l.member),
                Shape::String(s) => {
                    if let Some(p) = s.pattern {
                        assert!(compiled(p).is_some(), "pattern {p} does not compile");
                    }
                }
                _ => {}
            }
        }
        for op in crate::aws_model::OPERATIONS {
            if let Some(input) = op.input {
                walk(input);
            }
        }
    }

    #[test]
    fn java_semantics_of_model_patterns() {
        assert!(pattern_matches(r"[\w+=,.@-]+", "a_b+c=d,e.f@g-h"));
        assert!(!pattern_matches(r"[\w+=,.@-]+", "é"), "Java's \\w is ASCII");
        assert!(!pattern_matches(r"[\w+=,.@-]+", "a b"));
        assert!(!pattern_matches(r"[\w+=,.@-]+", ""));
        assert!(pattern_matches(r"[\w+=,.@-]*", ""));
        assert!(pattern_matches(
            r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)",
            "/a/b/"
        ));
        assert!(!pattern_matches(
            r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)",
            "/a"
        ));
        assert!(pattern_matches(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+", "Team 1"));
    }

    #[test]
    fn every_violation_is_reported_in_model_order() {
        let e = check(Service::Iam, "CreateRole", "RoleName=&Path=x").unwrap_err();
        assert_eq!(
            e,
            "4 validation errors detected: \
             Value 'x' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F); \
             Value '' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+; \
             Value '' at 'roleName' failed to satisfy constraint: Member must have length greater than or equal to 1; \
             Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn list_members_are_reported_at_their_index() {
        let e = check(
            Service::Iam,
            "TagRole",
            "RoleName=r&Tags.member.1.Key=ok&Tags.member.1.Value=v&Tags.member.2.Key=b%21d&Tags.member.2.Value=v",
        )
        .unwrap_err();
        assert_eq!(
            e,
            "1 validation error detected: Value 'b!d' at 'tags.2.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+"
        );
        let e = check(
            Service::Iam,
            "CreateOpenIDConnectProvider",
            "Url=https://x&ClientIDList.member.1=&ThumbprintList.member.1=abc",
        )
        .unwrap_err();
        assert!(e.starts_with("2 validation errors detected: Value '' at 'clientIDList.1.member' failed to satisfy constraint: Member must have length greater than or equal to 1; Value 'abc' at 'thumbprintList.1.member' failed to satisfy constraint: Member must have length greater than or equal to 40"), "{e}");
        let e = check(
            Service::Iam,
            "AddClientIDToOpenIDConnectProvider",
            "OpenIDConnectProviderArn=arn:aws:iam::000000000000:oidc-provider/x&ClientID=",
        )
        .unwrap_err();
        assert!(e.contains("at 'clientID' failed"), "{e}");
    }

    #[test]
    fn sensitive_values_and_enums_are_not_echoed() {
        let e = check(
            Service::Sts,
            "AssumeRoleWithWebIdentity",
            "RoleArn=arn:aws:iam::000000000000:role/r&RoleSessionName=s1&WebIdentityToken=abc",
        )
        .unwrap_err();
        assert_eq!(e, "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4");
        let e = check(
            Service::Sts,
            "AssumeRoleWithWebIdentity",
            "RoleArn=arn:aws:iam::000000000000:role/r&RoleSessionName=s1",
        )
        .unwrap_err();
        assert_eq!(e, "1 validation error detected: Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null");
        let e = check(
            Service::Iam,
            "SimulateCustomPolicy",
            "PolicyInputList.member.1=%7B%7D&ActionNames.member.1=s3:GetObject&ContextEntries.member.1.ContextKeyType=bogus",
        )
        .unwrap_err();
        assert_eq!(e, "1 validation error detected: Value at 'contextEntries.1.member.contextKeyType' failed to satisfy constraint: Member must satisfy enum value set");
    }

    #[test]
    fn lists_too_long_and_numbers() {
        let many: String = (1..=51)
            .map(|i| format!("&TagKeys.member.{i}=k{i}"))
            .collect();
        let e = check(Service::Iam, "UntagRole", &format!("RoleName=r{many}")).unwrap_err();
        assert!(
            e.starts_with("1 validation error detected: Value '[k1, k2, k3"),
            "{e}"
        );
        assert!(e.ends_with("k51]' at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 50"), "{e}");
        let e = check(
            Service::Sts,
            "AssumeRoleWithWebIdentity",
            "RoleArn=arn:aws:iam::000000000000:role/r&RoleSessionName=s1&WebIdentityToken=abcd&DurationSeconds=12",
        )
        .unwrap_err();
        assert_eq!(e, "1 validation error detected: Value '12' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900");
        assert!(check(
            Service::Sts,
            "AssumeRoleWithWebIdentity",
            "RoleArn=arn:aws:iam::000000000000:role/r&RoleSessionName=s1&WebIdentityToken=abcd&DurationSeconds=x",
        )
        .unwrap_err()
        .contains("Member must be a number"));
    }

    #[test]
    fn huge_list_indexes_cost_nothing() {
        assert!(check(
            Service::Iam,
            "UntagRole",
            "RoleName=r&TagKeys.member.1=a&TagKeys.member.99999999999999999999=b&TagKeys.member.3=c",
        )
        .is_ok());
    }
}
