//! The operator's commands for who may do what: `atrium user`, `token`, `grant` and `domain`.
//! They work directly on the data directory and act as the operator (a platform admin).

use std::io::BufRead;

use atrium_platform::{Caller, Platform, UserSettings};
use atrium_types::{DomainName, GrantRequest, Principal, ProductId, Role, TeamName, UserName};

use crate::cli::{DomainCommand, GrantCommand, TokenCommand, UserCommand};
use crate::commands::{CommandError, Outcome};

const OPERATOR: Caller = Caller::Operator;

fn bad(text: &str, reason: impl std::fmt::Display) -> CommandError {
    CommandError::BadArgument {
        text: text.to_owned(),
        reason: reason.to_string(),
    }
}

pub async fn user(platform: &Platform, command: UserCommand) -> Result<Outcome, CommandError> {
    match command {
        UserCommand::Add {
            name,
            password,
            password_stdin,
            admin,
            teams,
            roles,
            display_name,
            email,
        } => {
            let user = UserName::parse(&name).map_err(|e| bad(&name, format!("is not a user name: it {e}")))?;
            let password = match (password, password_stdin) {
                (Some(password), _) => Some(password),
                (None, true) => Some(read_password_line()?),
                (None, false) => None,
            };
            let teams = teams
                .iter()
                .map(|team| TeamName::parse(team).map_err(|e| bad(team, format!("is not a team name: it {e}"))))
                .collect::<Result<Vec<_>, _>>()?;
            let roles = roles
                .iter()
                .map(|text| parse_role(text))
                .collect::<Result<Vec<_>, _>>()?;
            let settings = UserSettings {
                password,
                display_name,
                email,
                admin: admin.then_some(true),
                teams: (!teams.is_empty()).then_some(teams),
                roles: (!roles.is_empty()).then_some(roles),
            };
            let created = platform.upsert_user(&OPERATOR, &user, settings).await?;
            println!("{} user {user}", if created { "created" } else { "updated" });
            Ok(Outcome::Success)
        }
        UserCommand::List => {
            for user in platform.users(&OPERATOR).await? {
                let teams: Vec<String> = user.teams.iter().map(ToString::to_string).collect();
                let roles: Vec<String> = user.roles.iter().map(|r| format!("{}:{}", r.domain, r.role)).collect();
                println!(
                    "{:<20} {:<6} {:<5} teams: {:<30} roles: {}",
                    user.name,
                    user.source,
                    if user.admin { "admin" } else { "" },
                    if teams.is_empty() {
                        "-".to_owned()
                    } else {
                        teams.join(",")
                    },
                    if roles.is_empty() {
                        "-".to_owned()
                    } else {
                        roles.join(",")
                    },
                );
            }
            Ok(Outcome::Success)
        }
    }
}

pub async fn token(platform: &Platform, command: TokenCommand) -> Result<Outcome, CommandError> {
    match command {
        TokenCommand::Create { user, name, expires } => {
            let user = UserName::parse(&user).map_err(|e| bad(&user, format!("is not a user name: it {e}")))?;
            let expires_in = expires
                .map(|d| chrono::Duration::from_std(*d).map_err(|e| bad(&d.to_string(), e)))
                .transpose()?;
            let created = platform.create_token(&OPERATOR, &user, &name, expires_in).await?;
            // The token alone on stdout, so that scripts can capture it.
            println!("{}", created.secret);
            Ok(Outcome::Success)
        }
        TokenCommand::List => {
            for token in platform.tokens(&OPERATOR, true).await? {
                println!(
                    "{:<18} {:<16} {:<12} created {}  expires {}  last used {}",
                    token.id,
                    token.user,
                    token.name,
                    token.created_at,
                    token.expires_at.as_deref().unwrap_or("never"),
                    token.last_used_at.as_deref().unwrap_or("never"),
                );
            }
            Ok(Outcome::Success)
        }
        TokenCommand::Revoke { id } => {
            let token = platform.revoke_token(&OPERATOR, &id).await?;
            println!("revoked {} of {}", token.id, token.user);
            Ok(Outcome::Success)
        }
    }
}

pub async fn grant(platform: &Platform, command: GrantCommand) -> Result<Outcome, CommandError> {
    match command {
        GrantCommand::Add { product, to, expires } => {
            let (id, output) = parse_target(&product)?;
            let principal = Principal::parse(&to).map_err(|e| bad(&to, e))?;
            let expires_at = expires
                .map(|d| {
                    chrono::Duration::from_std(*d)
                        .map(|d| (platform.now() + d).to_rfc3339())
                        .map_err(|e| bad(&d.to_string(), e))
                })
                .transpose()?;
            let request = GrantRequest {
                product: id,
                output,
                principal,
                expires_at,
            };
            let grant = platform.add_grant(&OPERATOR, &request).await?;
            println!(
                "granted {} read of {}{} (grant {}{})",
                grant.principal,
                grant.product,
                grant.output.as_ref().map(|o| format!(".{o}")).unwrap_or_default(),
                grant.id,
                grant.expires_at.map(|e| format!(", until {e}")).unwrap_or_default()
            );
            Ok(Outcome::Success)
        }
        GrantCommand::List => {
            for grant in platform.grants(&OPERATOR).await? {
                println!(
                    "{:>5}  {:<40} {:<28} until {:<22} by {}",
                    grant.id,
                    format!(
                        "{}{}",
                        grant.product,
                        grant.output.as_ref().map(|o| format!(".{o}")).unwrap_or_default()
                    ),
                    grant.principal.to_string(),
                    grant.expires_at.as_deref().unwrap_or("no expiry"),
                    grant.granted_by
                );
            }
            Ok(Outcome::Success)
        }
        GrantCommand::Revoke { id, reason } => {
            let grant = platform.revoke_grant(&OPERATOR, id, reason.as_deref()).await?;
            println!("revoked grant {} ({} on {})", grant.id, grant.principal, grant.product);
            Ok(Outcome::Success)
        }
    }
}

pub async fn domain(platform: &Platform, command: DomainCommand) -> Result<Outcome, CommandError> {
    match command {
        DomainCommand::Add { name, owner } => {
            let domain = DomainName::parse(&name).map_err(|e| bad(&name, format!("is not a domain name: it {e}")))?;
            let team = TeamName::parse(&owner).map_err(|e| bad(&owner, format!("is not a team name: it {e}")))?;
            platform.add_domain(&OPERATOR, &domain, &team).await?;
            println!("domain {domain} is owned by team:{team}");
            Ok(Outcome::Success)
        }
        DomainCommand::MaxGrantDays { name, days } => {
            let domain = DomainName::parse(&name).map_err(|e| bad(&name, format!("is not a domain name: it {e}")))?;
            platform
                .set_max_grant_days(&OPERATOR, &domain, (days > 0).then_some(days))
                .await?;
            match days {
                0 => println!("domain {domain} sets no longest grant"),
                days => println!("grants in domain {domain} last at most {days} days"),
            }
            Ok(Outcome::Success)
        }
    }
}

/// `sales.orders` or `sales.daily_revenue.monthly` (one output).
fn parse_target(text: &str) -> Result<(ProductId, Option<String>), CommandError> {
    let mut parts = text.splitn(3, '.');
    let (Some(domain), Some(name)) = (parts.next(), parts.next()) else {
        return Err(bad(text, "is not PRODUCT or PRODUCT.OUTPUT, e.g. sales.orders"));
    };
    let id =
        ProductId::parse(&format!("{domain}.{name}")).map_err(|e| bad(text, format!("is not a product id: it {e}")))?;
    Ok((id, parts.next().map(str::to_owned)))
}

/// `sales:writer`.
fn parse_role(text: &str) -> Result<(DomainName, Role), CommandError> {
    let (domain, role) = text
        .split_once(':')
        .ok_or_else(|| bad(text, "is not DOMAIN:ROLE, e.g. sales:writer"))?;
    let domain = DomainName::parse(domain).map_err(|e| bad(text, format!("names no domain: it {e}")))?;
    let role = role
        .parse::<Role>()
        .map_err(|()| bad(text, format!("names no role; expected {}", Role::choices())))?;
    Ok((domain, role))
}

fn read_password_line() -> Result<String, CommandError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|source| CommandError::Read {
            path: "<stdin>".into(),
            source,
        })?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        return Err(bad("<stdin>", "holds no password"));
    }
    Ok(password)
}
