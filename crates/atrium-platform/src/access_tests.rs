//! The decision as a table: one line per case, subject × action × resource → outcome.

use super::*;

fn id(text: &str) -> ProductId {
    ProductId::parse(text).expect("an id")
}

fn user(name: &str, teams: &[&str], roles: &[(&str, Role)]) -> Caller {
    Caller::user(User {
        name: UserName::parse(name).expect("a name"),
        display_name: name.to_owned(),
        email: None,
        admin: false,
        teams: teams.iter().map(|t| TeamName::parse(t).expect("a team")).collect(),
        roles: roles
            .iter()
            .map(|(d, r)| (DomainName::parse(d).expect("a domain"), *r))
            .collect(),
        origin: Origin::default(),
    })
}

fn at(hour: u32) -> DateTime<Utc> {
    use chrono::TimeZone;
    Utc.with_ymd_and_hms(2026, 12, 1, hour, 0, 0).single().expect("a time")
}

fn grant(product: &str, output: Option<&str>, to: &str, until: Option<u32>) -> GrantRecord {
    GrantRecord {
        id: 1,
        product: id(product),
        output: output.map(str::to_owned),
        principal: Principal::parse(to).expect("a principal"),
        expires_at: until.map(at),
        granted_by: "operator".to_owned(),
        created_at: at(0),
        request_id: None,
        revoked_at: None,
        revoked_by: None,
        revoke_reason: None,
    }
}

/// What the table expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allowed,
    Hidden,
    NeedsGrant,
    NeedsRole,
    AdminOnly,
}

fn outcome(result: Result<(), Refusal>) -> Outcome {
    match result {
        Ok(()) => Outcome::Allowed,
        Err(Refusal::Hidden { .. }) => Outcome::Hidden,
        Err(Refusal::NeedsGrant { .. }) => Outcome::NeedsGrant,
        Err(Refusal::NeedsRole { .. }) => Outcome::NeedsRole,
        Err(Refusal::AdminOnly | Refusal::AuditReaders | Refusal::NotTheirs(_)) => Outcome::AdminOnly,
    }
}

fn check(
    caller: &Caller,
    action: Action<'_>,
    visibility: Visibility,
    grants: &[GrantRecord],
    now: u32,
    expected: Outcome,
) {
    let product = id("sales.orders");
    let facts = ProductFacts {
        id: &product,
        owner: "team-sales",
        visibility,
        grants,
    };
    let got = outcome(authorize(caller.into(), action, Resource::Product(facts), at(now)));
    assert_eq!(
        got, expected,
        "{caller:?} {action:?} on a {visibility} product with {grants:?} at {now}h"
    );
}

const READ: Action<'static> = Action::ReadData { output: Some("orders") };

#[test]
fn visibility_roles_and_grants() {
    use Outcome::*;
    use Visibility::*;
    let outsider = user("olga", &[], &[]);
    let reader = user("rita", &[], &[("sales", Role::Reader)]);
    let writer = user("will", &[], &[("sales", Role::Writer)]);
    let domain_owner = user("owen", &[], &[("sales", Role::Owner)]);
    let team_member = user("tess", &["team-sales"], &[]);
    let other_domain = user("fred", &[], &[("finance", Role::Owner)]);
    let none: &[GrantRecord] = &[];
    // (caller, action, visibility, expected)
    let table: Vec<(&Caller, Action<'_>, Visibility, Outcome)> = vec![
        (&outsider, Action::See, Public, Allowed),
        (&outsider, READ, Public, Allowed),
        (&outsider, Action::See, Internal, Allowed),
        (&outsider, READ, Internal, NeedsGrant),
        (&outsider, Action::See, Restricted, Hidden),
        (&outsider, READ, Restricted, Hidden),
        (&outsider, Action::Run, Restricted, Hidden),
        (&outsider, Action::Run, Public, NeedsRole),
        (&outsider, Action::Deploy, Internal, NeedsRole),
        (&outsider, Action::ManageGrants, Internal, NeedsRole),
        (&other_domain, READ, Internal, NeedsGrant),
        (&other_domain, Action::See, Restricted, Hidden),
        (&reader, READ, Restricted, Allowed),
        (&reader, Action::Run, Internal, NeedsRole),
        (&reader, Action::PushRows, Internal, NeedsRole),
        (&writer, Action::Run, Restricted, Allowed),
        (&writer, Action::PushRows, Internal, Allowed),
        (&writer, Action::Deploy, Internal, Allowed),
        (&writer, Action::ManageGrants, Internal, NeedsRole),
        (&domain_owner, Action::ManageGrants, Restricted, Allowed),
        (&team_member, READ, Restricted, Allowed),
        (&team_member, Action::ManageGrants, Internal, Allowed),
        (&team_member, Action::Run, Internal, Allowed),
        (&team_member, Action::Remove, Restricted, Allowed),
        (&domain_owner, Action::Remove, Internal, Allowed),
        (&writer, Action::Remove, Internal, NeedsRole),
        (&outsider, Action::Remove, Public, NeedsRole),
        (&outsider, Action::Remove, Restricted, Hidden),
        (&outsider, Action::Administer, Public, AdminOnly),
        (&Caller::Operator, Action::Administer, Restricted, Allowed),
        (&Caller::System, Action::Run, Restricted, Allowed),
    ];
    for (caller, action, visibility, expected) in table {
        check(caller, action, visibility, none, 1, expected);
    }
    let mut admin = User::clone(match &outsider {
        Caller::User(user) => user,
        _ => unreachable!("a user"),
    });
    admin.admin = true;
    check(&Caller::user(admin), Action::ManageGrants, Restricted, none, 1, Allowed);
}

#[test]
fn grants_apply_to_their_principal_and_output_until_their_instant() {
    use Outcome::*;
    use Visibility::*;
    let olga = user("olga", &["team-risk"], &[]);
    let to_olga_until_5 = [grant("sales.orders", None, "user:olga", Some(5))];
    check(&olga, READ, Internal, &to_olga_until_5, 4, Allowed);
    check(&olga, READ, Internal, &to_olga_until_5, 5, NeedsGrant);
    check(&olga, READ, Restricted, &to_olga_until_5, 4, Allowed);
    check(&olga, Action::See, Restricted, &to_olga_until_5, 5, Hidden);
    let to_team = [grant("sales.orders", None, "team:team-risk", None)];
    check(&olga, READ, Internal, &to_team, 23, Allowed);
    let to_someone_else = [grant("sales.orders", None, "user:rita", None)];
    check(&olga, READ, Internal, &to_someone_else, 1, NeedsGrant);
    let on_another_product = [grant("sales.other", None, "user:olga", None)];
    check(&olga, READ, Internal, &on_another_product, 1, NeedsGrant);
    let on_one_output = [grant("sales.orders", Some("monthly"), "user:olga", None)];
    check(&olga, READ, Internal, &on_one_output, 1, NeedsGrant);
    check(
        &olga,
        Action::ReadData {
            output: Some("monthly"),
        },
        Internal,
        &on_one_output,
        1,
        Allowed,
    );
    check(&olga, Action::See, Restricted, &on_one_output, 1, Allowed);
    check(&olga, Action::Run, Internal, &to_olga_until_5, 1, NeedsRole);
}

#[test]
fn a_run_reads_as_its_owner() {
    let upstream = id("sales.orders");
    let reader = id("finance.totals");
    let decide = |visibility, grants: &[GrantRecord], now| {
        let facts = ProductFacts {
            id: &upstream,
            owner: "team-sales",
            visibility,
            grants,
        };
        let subject = Subject::ProductRun {
            product: &reader,
            owner: "team-finance",
        };
        outcome(authorize(subject, READ, Resource::Product(facts), at(now)))
    };
    assert_eq!(decide(Visibility::Public, &[], 1), Outcome::Allowed);
    assert_eq!(decide(Visibility::Internal, &[], 1), Outcome::NeedsGrant);
    assert_eq!(decide(Visibility::Restricted, &[], 1), Outcome::NeedsGrant);
    let to_finance = [grant("sales.orders", None, "team:team-finance", Some(3))];
    assert_eq!(decide(Visibility::Internal, &to_finance, 2), Outcome::Allowed);
    assert_eq!(decide(Visibility::Restricted, &to_finance, 2), Outcome::Allowed);
    assert_eq!(decide(Visibility::Internal, &to_finance, 3), Outcome::NeedsGrant);
    let same_domain = id("sales.report");
    let facts = ProductFacts {
        id: &upstream,
        owner: "team-sales",
        visibility: Visibility::Restricted,
        grants: &[],
    };
    let subject = Subject::ProductRun {
        product: &same_domain,
        owner: "team-sales",
    };
    assert_eq!(
        outcome(authorize(subject, READ, Resource::Product(facts), at(1))),
        Outcome::Allowed
    );
}

#[test]
fn domains_and_the_platform() {
    let sales = DomainName::parse("sales").expect("a domain");
    let writer = user("will", &[], &[("sales", Role::Writer)]);
    let reader = user("rita", &[], &[("sales", Role::Reader)]);
    let deploy = |caller: &Caller| {
        outcome(authorize(
            caller.into(),
            Action::Deploy,
            Resource::Domain(&sales),
            at(1),
        ))
    };
    assert_eq!(deploy(&writer), Outcome::Allowed);
    assert_eq!(deploy(&reader), Outcome::NeedsRole);
    assert_eq!(deploy(&Caller::Operator), Outcome::Allowed);
    assert_eq!(
        outcome(authorize(
            (&writer).into(),
            Action::Administer,
            Resource::Platform,
            at(1)
        )),
        Outcome::AdminOnly
    );
}

#[test]
fn refusals_say_what_to_do() {
    let refusal = Refusal::NeedsGrant {
        product: id("sales.orders"),
        output: None,
        owner: "team-sales".to_owned(),
        grantee: "user:olga".to_owned(),
    };
    assert_eq!(
        refusal.to_string(),
        "reading `sales.orders` needs a grant: request access on its page, /products/sales.orders, or ask its owner `team-sales` (or an owner of domain `sales`) to grant it, e.g. `atrium grant add sales.orders --to user:olga`"
    );
    let hidden = Refusal::Hidden {
        product: id("hr.employees"),
    };
    assert_eq!(hidden.to_string(), "product `hr.employees` does not exist");
}

#[test]
fn a_revoked_grant_reads_nothing_and_shows_nothing() {
    use Outcome::*;
    use Visibility::*;
    let olga = user("olga", &[], &[]);
    let mut revoked = grant("sales.orders", None, "user:olga", None);
    revoked.revoked_at = Some(at(2));
    let revoked = [revoked];
    check(&olga, READ, Internal, &revoked, 3, NeedsGrant);
    check(&olga, Action::See, Restricted, &revoked, 3, Hidden);
}

#[test]
fn the_ground_of_a_read_is_the_one_the_decision_used() {
    let product = id("sales.orders");
    let mut grant_7 = grant("sales.orders", None, "user:olga", Some(5));
    grant_7.id = 7;
    let grants = [grant_7];
    let facts = |visibility| ProductFacts {
        id: &product,
        owner: "team-sales",
        visibility,
        grants: &grants,
    };
    let basis = |caller: &Caller, visibility, hour| read_basis(caller.into(), facts(visibility), None, at(hour));
    let olga = user("olga", &[], &[]);
    assert_eq!(basis(&olga, Visibility::Internal, 4), Ok(ReadBasis::Grant(7)));
    assert!(basis(&olga, Visibility::Internal, 5).is_err(), "the grant ended at 5");
    assert_eq!(basis(&olga, Visibility::Public, 5), Ok(ReadBasis::Public));
    let rita = user("rita", &[], &[("sales", Role::Reader)]);
    assert_eq!(
        basis(&rita, Visibility::Restricted, 5),
        Ok(ReadBasis::Role(Role::Reader))
    );
    let sam = user("sam", &["team-sales"], &[]);
    assert_eq!(basis(&sam, Visibility::Restricted, 5), Ok(ReadBasis::Owner));
    assert_eq!(
        basis(&Caller::Operator, Visibility::Restricted, 5),
        Ok(ReadBasis::Platform)
    );
    let run = Subject::ProductRun {
        product: &id("finance.totals"),
        owner: "team-finance",
    };
    assert!(read_basis(run, facts(Visibility::Internal), None, at(1)).is_err());
    assert_eq!(
        read_basis(run, facts(Visibility::Public), None, at(1)),
        Ok(ReadBasis::Public)
    );
    assert_eq!(ReadBasis::Grant(7).to_string(), "grant:7");
}

#[test]
fn a_users_home_domain_is_where_they_hold_their_highest_role() {
    let Caller::User(mixed) = user(
        "mia",
        &[],
        &[("crm", Role::Reader), ("sales", Role::Writer), ("supply", Role::Writer)],
    ) else {
        unreachable!("a user")
    };
    assert_eq!(mixed.home_domain().map(|d| d.as_str()), Some("sales"));
    let Caller::User(none) = user("nia", &[], &[]) else {
        unreachable!("a user")
    };
    assert_eq!(none.home_domain(), None);
}

/// The catalog's `WHERE` and search's audience come from `seen_by`: over every combination of
/// caller, visibility, domain, owner and grant (live, expired, to a team), it admits exactly the
/// products the decision lets the caller see.
#[test]
fn seen_by_admits_exactly_what_the_decision_lets_one_see() {
    let callers = [
        user("olga", &[], &[]),
        user("ann", &["team-sales"], &[]),
        user("will", &[], &[("sales", Role::Writer)]),
        user("rita", &["team-crm"], &[("crm", Role::Reader)]),
        user("owen", &[], &[("finance", Role::Owner)]),
        Caller::Operator,
    ];
    let grant_sets: Vec<Vec<GrantRecord>> = vec![
        Vec::new(),
        vec![grant("sales.ledger", None, "user:olga", None)],
        vec![grant("sales.ledger", Some("lines"), "team:team-crm", Some(20))],
        vec![grant("sales.ledger", None, "user:olga", Some(1))],
        vec![grant("crm.accounts", None, "user:ann", None)],
    ];
    let mut cases = 0;
    for caller in &callers {
        for grants in &grant_sets {
            let seen = seen_by(caller, grants, at(10));
            for (product, owner) in [
                ("sales.ledger", "team-sales"),
                ("crm.accounts", "olga"),
                ("finance.books", "team-x"),
            ] {
                for visibility in [Visibility::Public, Visibility::Internal, Visibility::Restricted] {
                    let summary = atrium_types::ProductSummary {
                        id: id(product),
                        title: product.to_owned(),
                        domain: id(product).domain().to_string(),
                        owner: owner.to_owned(),
                        status: atrium_types::ProductStatus::Active,
                        visibility,
                        tags: Vec::new(),
                        revision: 1,
                        updated_at: String::new(),
                    };
                    let facts = ProductFacts {
                        id: &summary.id,
                        owner: &summary.owner,
                        visibility,
                        grants,
                    };
                    let decided = authorize(caller.into(), Action::See, Resource::Product(facts), at(10)).is_ok();
                    assert_eq!(
                        seen.admits(&summary),
                        decided,
                        "{caller:?} on {product} ({visibility:?}, owner {owner}) with {grants:?}"
                    );
                    cases += 1;
                }
            }
        }
    }
    assert_eq!(cases, 6 * 5 * 3 * 3);
}
