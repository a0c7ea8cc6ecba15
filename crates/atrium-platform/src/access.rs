//! The one decision of who may do what: [`authorize`], a pure function over a typed caller, an
//! action and a resource with the facts it needs (visibility, owner, grants) loaded beforehand,
//! and the instant to judge grant expiries by. Every platform entry point asks it; nothing reads
//! or changes anything without it.
//!
//! The rules:
//! - the operator (the CLI on a data directory), the system (scheduler, stream batches) and a
//!   platform admin may do everything;
//! - in a domain, an `owner` may do everything, a `writer` deploys, runs and pushes stream rows,
//!   a `reader` reads every product; a product's owners (the members of the team its `owner`
//!   names, or that user) may do everything with it but create it;
//! - visibility: `public` is read by every signed-in user; `internal` is listed to everyone but
//!   its data needs a grant or a role; `restricted` does not exist (404, absent from every list)
//!   for anyone without a role, a grant or ownership;
//! - a grant lets a user or a team read a product, or one output, until its expiry instant;
//! - a product's run reads another product as its owner: its own domain's products, public ones,
//!   and those its owner holds a grant on.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use atrium_catalog::GrantRecord;
use atrium_types::{DomainName, DomainRoleView, MeView, Principal, ProductId, Role, TeamName, UserName, Visibility};
use chrono::{DateTime, Utc};

/// A signed-in user, with their teams and roles, as the decision sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: UserName,
    pub display_name: String,
    pub email: Option<String>,
    pub admin: bool,
    pub teams: BTreeSet<TeamName>,
    /// The highest role per domain, held directly or through a team.
    pub roles: BTreeMap<DomainName, Role>,
    /// Where the request came from, for the audit log.
    pub origin: Origin,
}

/// Where a request came from: what the audit log records beside who.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl User {
    /// Whether `principal` names this user or one of their teams.
    pub(crate) fn is(&self, principal: &Principal) -> bool {
        match principal {
            Principal::User(name) => name == &self.name,
            Principal::Team(team) => self.teams.contains(team),
        }
    }

    /// Whether the user is one of the owners a product's `owner` field names.
    fn is_named_owner(&self, owner: &str) -> bool {
        owner == self.name.as_str() || self.teams.iter().any(|team| team.as_str() == owner)
    }

    /// The domain the user acts from, for usage: the one where they hold their highest role
    /// (the first by name among equals).
    pub fn home_domain(&self) -> Option<&DomainName> {
        self.roles
            .iter()
            .max_by(|(a_domain, a_role), (b_domain, b_role)| a_role.rank_cmp(**b_role).then(b_domain.cmp(a_domain)))
            .map(|(domain, _)| domain)
    }

    /// Whether the user is one of the owners of a product named `owner` in `domain`: a member of
    /// its owner team (or that user), or an owner of the domain.
    pub fn owns(&self, owner: &str, domain: &DomainName) -> bool {
        self.is_named_owner(owner) || self.roles.get(domain) == Some(&Role::Owner)
    }

    /// Whether `principal` names this user or one of their teams.
    pub fn is_principal(&self, principal: &Principal) -> bool {
        self.is(principal)
    }

    pub fn me(&self) -> MeView {
        MeView {
            user: self.name.clone(),
            display_name: self.display_name.clone(),
            email: self.email.clone(),
            admin: self.admin,
            teams: self.teams.iter().cloned().collect(),
            roles: self
                .roles
                .iter()
                .map(|(domain, role)| DomainRoleView {
                    domain: domain.to_string(),
                    role: *role,
                })
                .collect(),
        }
    }
}

/// Who asks. Every platform entry point takes one.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A signed-in user, through a session or an API token acting as its user.
    User(Arc<User>),
    /// The operator: the CLI working directly on a data directory. Acts as admin.
    Operator,
    /// The platform itself: the scheduler and the stream micro-batches.
    System,
}

impl Caller {
    pub fn user(user: User) -> Self {
        Caller::User(Arc::new(user))
    }

    /// The user behind the caller, if any.
    pub fn as_user(&self) -> Option<&User> {
        match self {
            Caller::User(user) => Some(user),
            Caller::Operator | Caller::System => None,
        }
    }

    /// Who to name in the audit log: `user:NAME`, `operator` or `system`.
    pub fn actor(&self) -> String {
        match self {
            Caller::User(user) => Principal::User(user.name.clone()).to_string(),
            Caller::Operator => "operator".to_owned(),
            Caller::System => "system".to_owned(),
        }
    }

    /// The same caller, seen coming from `origin`.
    pub fn from_origin(self, origin: Origin) -> Self {
        match self {
            Caller::User(user) => {
                let mut user = (*user).clone();
                user.origin = origin;
                Caller::user(user)
            }
            other => other,
        }
    }

    /// Who to name in records (`granted_by`): the user, `operator` or `system`.
    pub fn label(&self) -> String {
        match self {
            Caller::User(user) => user.name.to_string(),
            Caller::Operator => "operator".to_owned(),
            Caller::System => "system".to_owned(),
        }
    }
}

/// Who reads, for the decision: a caller, or a product's run reading through a `product` input.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    Caller(&'a Caller),
    /// A run of `product`, reading as its `owner` (a team or a user).
    ProductRun {
        product: &'a ProductId,
        owner: &'a str,
    },
}

impl<'a> From<&'a Caller> for Subject<'a> {
    fn from(caller: &'a Caller) -> Self {
        Subject::Caller(caller)
    }
}

/// What the subject wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    /// See that it exists and its metadata: lists, counts, the product page, its runs.
    See,
    /// Read its data (one output, or any): sample rows, queries, rejected rows, downstream reads.
    ReadData { output: Option<&'a str> },
    /// Deploy (a new product into a domain, or a new revision of a product).
    Deploy,
    /// Run it now.
    Run,
    /// Push rows to a stream input.
    PushRows,
    /// Give and revoke grants on it.
    ManageGrants,
    /// Remove it from the catalog (its tables and audit stay).
    Remove,
    /// Manage users, tokens of others, domains.
    Administer,
    /// Read the audit log: of a domain (its owners), or of the platform (admins).
    ReadAudit,
}

/// On what ground a read was allowed, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadBasis {
    /// The operator, the system or a platform admin.
    Platform,
    /// A role in the product's domain.
    Role(Role),
    /// The caller (or the reading product's owner) owns the product, or it is of the reading
    /// product's own domain.
    Owner,
    Public,
    Grant(i64),
}

impl std::fmt::Display for ReadBasis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadBasis::Platform => f.write_str("platform"),
            ReadBasis::Role(role) => write!(f, "role:{role}"),
            ReadBasis::Owner => f.write_str("owner"),
            ReadBasis::Public => f.write_str("public"),
            ReadBasis::Grant(id) => write!(f, "grant:{id}"),
        }
    }
}

/// The facts of a product the decision needs.
#[derive(Debug, Clone, Copy)]
pub struct ProductFacts<'a> {
    pub id: &'a ProductId,
    /// The descriptor's `owner`: a team or a user.
    pub owner: &'a str,
    pub visibility: Visibility,
    /// The grants on this product (others are ignored).
    pub grants: &'a [GrantRecord],
}

/// What the subject acts on.
#[derive(Debug, Clone, Copy)]
pub enum Resource<'a> {
    Product(ProductFacts<'a>),
    /// A domain, for the deploy of a product it does not hold yet.
    Domain(&'a DomainName),
    /// The platform as a whole: users, domains, everyone's tokens.
    Platform,
}

/// Why the decision said no. Each maps to one error code at the edge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A restricted product, for someone who may not know it exists: the same words as a
    /// product that does not exist.
    #[error("product `{product}` does not exist")]
    Hidden { product: ProductId },
    #[error(
        "reading `{product}`{} needs a grant: request access on its page, /products/{product}, or ask its owner `{owner}` (or an owner of domain `{}`) to grant it, e.g. `atrium grant add {product} --to {grantee}`",
        output_words(.output),
        .product.domain()
    )]
    NeedsGrant {
        product: ProductId,
        output: Option<String>,
        owner: String,
        /// Who should hold the grant, `user:…` or `team:…`.
        grantee: String,
    },
    #[error("this needs the `{role}` role in domain `{domain}`")]
    NeedsRole { domain: DomainName, role: Role },
    #[error("only a platform admin may do this")]
    AdminOnly,
    #[error("the audit log is read by platform admins and by the owners of a domain")]
    AuditReaders,
    #[error("{0}")]
    NotTheirs(&'static str),
}

fn output_words(output: &Option<String>) -> String {
    output.as_ref().map(|o| format!(" (output `{o}`)")).unwrap_or_default()
}

/// What `caller` may know exists, as keys the catalog turns into a `WHERE` and search into a
/// clause of its query: the same rule as the decision's for [`Action::See`] (a product is seen
/// when it is not restricted, of a domain the user has a role in, owned by the user or a team of
/// theirs, or held through a live grant). `grants` are the ones the caller's user and teams hold.
pub fn seen_by(caller: &Caller, grants: &[GrantRecord], now: DateTime<Utc>) -> atrium_catalog::SeenBy {
    let user = match caller {
        Caller::Operator | Caller::System => return atrium_catalog::SeenBy::Everything,
        Caller::User(user) if user.admin => return atrium_catalog::SeenBy::Everything,
        Caller::User(user) => user,
    };
    let mut owners: BTreeSet<String> = user.teams.iter().map(ToString::to_string).collect();
    owners.insert(user.name.to_string());
    atrium_catalog::SeenBy::Keys {
        domains: user.roles.keys().map(ToString::to_string).collect(),
        owners,
        products: grants
            .iter()
            .filter(|grant| grant.revoked_at.is_none() && grant.expires_at.is_none_or(|at| at > now))
            .filter(|grant| user.is(&grant.principal))
            .map(|grant| grant.product.to_string())
            .collect(),
    }
}

/// The principals a caller's grants are held by: the user and each of their teams.
pub fn principals(caller: &Caller) -> Vec<String> {
    caller.as_user().map_or_else(Vec::new, |user| {
        let mut all = vec![Principal::User(user.name.clone()).to_string()];
        all.extend(user.teams.iter().map(|team| Principal::Team(team.clone()).to_string()));
        all
    })
}

/// The decision: `Ok` when `subject` may do `action` to `resource` at `now`.
pub fn authorize(
    subject: Subject<'_>,
    action: Action<'_>,
    resource: Resource<'_>,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    if let (Action::ReadData { output }, Resource::Product(facts)) = (action, resource) {
        return read_basis(subject, facts, output, now).map(|_| ());
    }
    match subject {
        Subject::Caller(Caller::Operator | Caller::System) => Ok(()),
        Subject::Caller(Caller::User(user)) if user.admin => Ok(()),
        Subject::Caller(Caller::User(user)) => user_decision(user, action, resource, now),
        Subject::ProductRun { product, owner } => run_decision(product, owner, action, resource, now),
    }
}

/// The decision on reading a product's data (one output, or any), with the ground it stands on.
pub fn read_basis(
    subject: Subject<'_>,
    facts: ProductFacts<'_>,
    output: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ReadBasis, Refusal> {
    match subject {
        Subject::Caller(Caller::Operator | Caller::System) => Ok(ReadBasis::Platform),
        Subject::Caller(Caller::User(user)) if user.admin => Ok(ReadBasis::Platform),
        Subject::Caller(Caller::User(user)) => user_read(user, facts, output, now),
        Subject::ProductRun { product, owner } => run_read(product, owner, facts, output, now),
    }
}

fn user_read(
    user: &User,
    facts: ProductFacts<'_>,
    output: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ReadBasis, Refusal> {
    user_decision(user, Action::See, Resource::Product(facts), now)?;
    let role = user.roles.get(facts.id.domain()).copied();
    if user.is_named_owner(facts.owner) {
        return Ok(ReadBasis::Owner);
    }
    if let Some(role) = role {
        return Ok(ReadBasis::Role(role));
    }
    if facts.visibility == Visibility::Public {
        return Ok(ReadBasis::Public);
    }
    live_grants(facts, now)
        .filter(|grant| user.is(&grant.principal))
        .find(|grant| grant_covers(grant, output))
        .map(|grant| ReadBasis::Grant(grant.id))
        .ok_or_else(|| Refusal::NeedsGrant {
            product: facts.id.clone(),
            output: output.map(str::to_owned),
            owner: facts.owner.to_owned(),
            grantee: Principal::User(user.name.clone()).to_string(),
        })
}

fn user_decision(user: &User, action: Action<'_>, resource: Resource<'_>, now: DateTime<Utc>) -> Result<(), Refusal> {
    let facts = match resource {
        Resource::Platform => return Err(Refusal::AdminOnly),
        Resource::Domain(domain) => {
            let wanted = if action == Action::Deploy {
                Role::Writer
            } else {
                Role::Owner
            };
            return match user.roles.get(domain) {
                Some(role) if role.includes(wanted) => Ok(()),
                _ => Err(Refusal::NeedsRole {
                    domain: domain.clone(),
                    role: wanted,
                }),
            };
        }
        Resource::Product(facts) => facts,
    };
    let domain = facts.id.domain();
    let role = user.roles.get(domain).copied();
    let owner = role == Some(Role::Owner) || user.is_named_owner(facts.owner);
    let holds_any_grant = || live_grants(facts, now).any(|grant| user.is(&grant.principal));
    let visible = role.is_some() || owner || facts.visibility != Visibility::Restricted || holds_any_grant();
    if !visible {
        return Err(Refusal::Hidden {
            product: facts.id.clone(),
        });
    }
    let needs = |wanted: Role| {
        if owner || role.is_some_and(|role| role.includes(wanted)) {
            Ok(())
        } else {
            Err(Refusal::NeedsRole {
                domain: domain.clone(),
                role: wanted,
            })
        }
    };
    match action {
        Action::See => Ok(()),
        Action::ReadData { output } => user_read(user, facts, output, now).map(|_| ()),
        Action::Deploy | Action::Run | Action::PushRows => needs(Role::Writer),
        Action::ManageGrants | Action::Remove | Action::ReadAudit => needs(Role::Owner),
        Action::Administer => Err(Refusal::AdminOnly),
    }
}

fn run_decision(
    reader: &ProductId,
    owner: &str,
    action: Action<'_>,
    resource: Resource<'_>,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    let (Action::ReadData { output }, Resource::Product(facts)) = (action, resource) else {
        return Err(Refusal::AdminOnly);
    };
    run_read(reader, owner, facts, output, now).map(|_| ())
}

fn run_read(
    reader: &ProductId,
    owner: &str,
    facts: ProductFacts<'_>,
    output: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ReadBasis, Refusal> {
    if facts.id.domain() == reader.domain() {
        return Ok(ReadBasis::Owner);
    }
    if facts.visibility == Visibility::Public {
        return Ok(ReadBasis::Public);
    }
    let held_by_owner = |principal: &Principal| match principal {
        Principal::User(name) => name.as_str() == owner,
        Principal::Team(team) => team.as_str() == owner,
    };
    if let Some(grant) = live_grants(facts, now)
        .filter(|grant| held_by_owner(&grant.principal))
        .find(|grant| grant_covers(grant, output))
    {
        return Ok(ReadBasis::Grant(grant.id));
    }
    let grantee = match TeamName::parse(owner) {
        Ok(team) => Principal::Team(team).to_string(),
        Err(_) => format!("team:{owner}"),
    };
    Err(Refusal::NeedsGrant {
        product: facts.id.clone(),
        output: output.map(str::to_owned),
        owner: facts.owner.to_owned(),
        grantee,
    })
}

/// The grants on the product that are not revoked and have not expired at `now`: a grant stops
/// at its instant.
fn live_grants<'a>(facts: ProductFacts<'a>, now: DateTime<Utc>) -> impl Iterator<Item = &'a GrantRecord> {
    facts
        .grants
        .iter()
        .filter(move |grant| &grant.product == facts.id)
        .filter(|grant| grant.revoked_at.is_none())
        .filter(move |grant| grant.expires_at.is_none_or(|expiry| now < expiry))
}

/// A grant on the whole product covers every output; one on an output covers that output only.
fn grant_covers(grant: &GrantRecord, output: Option<&str>) -> bool {
    match (&grant.output, output) {
        (None, _) => true,
        (Some(granted), Some(wanted)) => granted == wanted,
        (Some(_), None) => false,
    }
}

#[cfg(test)]
#[path = "access_tests.rs"]
mod tests;
