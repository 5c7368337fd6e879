//! `masthead user …` and `masthead token …`: newsroom accounts from the command line,
//! for the first administrator, scripts and lost passwords.

use crate::config::{self, FileConfig, SiteArgs};
use crate::{open_store, store_error};
use anyhow::{Result, anyhow, bail};
use clap::Subcommand;
use masthead_core::{Role, TokenScope, password};
use masthead_store::{NewAuditEntry, NewUser, Store, StoreError, User};
use masthead_web::auth::{self, HashCost};
use std::io::{BufRead, IsTerminal};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account (the password is asked for, or read with --password-stdin)
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// administrator, editor, author or contributor
        #[arg(long)]
        role: String,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        site: SiteArgs,
    },
    /// List the accounts
    List {
        #[command(flatten)]
        site: SiteArgs,
    },
    /// Set an account's password (ends its sessions)
    SetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        site: SiteArgs,
    },
    /// Disable an account: it can no longer sign in, and its sessions and tokens stop working
    Disable {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        site: SiteArgs,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print it (it is shown only this once)
    Create {
        /// The account the token acts for
        #[arg(long)]
        user: String,
        /// read or write
        #[arg(long)]
        scope: String,
        /// A name to recognise it by
        #[arg(long, default_value = "command line")]
        label: String,
        /// Expire after this many days
        #[arg(long)]
        expires_days: Option<u32>,
        #[command(flatten)]
        site: SiteArgs,
    },
}

pub(crate) async fn open(site: &SiteArgs) -> Result<Store> {
    let file_cfg = FileConfig::load(site.config.as_deref())?;
    let (data, database_url, timezone) = config::resolve_site(site, &file_cfg)?;
    open_store(&data, &database_url, timezone).await
}

/// The password, from standard input or a prompt; never from a flag (it would land in
/// the shell's history and the process list).
fn read_password(from_stdin: bool) -> Result<String> {
    let stdin = std::io::stdin();
    if from_stdin {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    if !stdin.is_terminal() {
        bail!("no terminal to ask for the password on; pipe it in with --password-stdin");
    }
    let first = rpassword::prompt_password("Password: ")?;
    let again = rpassword::prompt_password("Same password again: ")?;
    if first != again {
        bail!("the two passwords differ; nothing was changed");
    }
    Ok(first)
}

fn hash(password: &str) -> Result<String> {
    auth::hash_password(password, HashCost::default()).map_err(|e| anyhow!("{e}"))
}

async fn find(store: &Store, email: &str) -> Result<User> {
    store
        .user_by_email(email)
        .await
        .map_err(store_error)?
        .ok_or_else(|| anyhow!("there is no account with the email {}", email.trim()))
}

async fn audit(store: &Store, action: &str, target: &str) -> Result<()> {
    store
        .audit(&NewAuditEntry {
            actor: "command line".into(),
            action: action.into(),
            target: target.into(),
            ..Default::default()
        })
        .await
        .map_err(store_error)
}

pub async fn user(cmd: UserCommand) -> Result<()> {
    match cmd {
        UserCommand::Add {
            email,
            name,
            role,
            password_stdin,
            site,
        } => {
            let role: Role = role.parse().map_err(|e| anyhow!("{e}"))?;
            let email = email.trim().to_lowercase();
            if !email.contains('@') {
                bail!("\"{email}\" is not an email address");
            }
            if name.trim().is_empty() {
                bail!("the account needs a name (--name)");
            }
            let pw = read_password(password_stdin)?;
            password::check(&pw, &[&name, &email]).map_err(|p| anyhow!("{p}"))?;
            let store = open(&site).await?;
            let id = store
                .create_user(&NewUser {
                    email: email.clone(),
                    name: name.trim().to_owned(),
                    role,
                    password_hash: Some(hash(&pw)?),
                })
                .await
                .map_err(|e| match e {
                    StoreError::Conflict(m) => anyhow!("{m}"),
                    other => store_error(other),
                })?;
            audit(&store, "created account", &format!("{email} ({role})")).await?;
            println!(
                "Created {} ({email}) as {}, account {id}.",
                name.trim(),
                role.label()
            );
            store.close().await;
        }
        UserCommand::List { site } => {
            let store = open(&site).await?;
            let users = store.users().await.map_err(store_error)?;
            if users.is_empty() {
                println!(
                    "No accounts yet. Create one with: masthead user add --email E --name N --role administrator"
                );
            }
            for u in users {
                let state = if u.disabled {
                    "disabled"
                } else if u.has_password {
                    "active"
                } else {
                    "invited"
                };
                println!("{}\t{}\t{}\t{state}", u.email, u.name, u.role);
            }
            store.close().await;
        }
        UserCommand::SetPassword {
            email,
            password_stdin,
            site,
        } => {
            let store = open(&site).await?;
            let u = find(&store, &email).await?;
            let pw = read_password(password_stdin)?;
            password::check(&pw, &[&u.name, &u.email]).map_err(|p| anyhow!("{p}"))?;
            store
                .set_password_hash(u.id, &hash(&pw)?)
                .await
                .map_err(store_error)?;
            audit(&store, "changed password", &u.email).await?;
            println!(
                "Set the password of {}; their sessions have ended.",
                u.email
            );
            store.close().await;
        }
        UserCommand::Disable { email, site } => {
            let store = open(&site).await?;
            let u = find(&store, &email).await?;
            store.set_disabled(u.id, true).await.map_err(store_error)?;
            audit(&store, "disabled account", &u.email).await?;
            println!("Disabled {}; they are signed out everywhere.", u.email);
            store.close().await;
        }
    }
    Ok(())
}

pub async fn token(cmd: TokenCommand) -> Result<()> {
    match cmd {
        TokenCommand::Create {
            user,
            scope,
            label,
            expires_days,
            site,
        } => {
            let scope: TokenScope = scope.parse().map_err(|e: String| anyhow!("{e}"))?;
            let store = open(&site).await?;
            let u = find(&store, &user).await?;
            if u.disabled {
                bail!("the account {} is disabled", u.email);
            }
            let secret = format!(
                "{}{}",
                auth::TOKEN_PREFIX,
                auth::new_secret().map_err(|e| anyhow!("{e}"))?
            );
            let expires =
                expires_days.map(|d| store.clock().now() + chrono::Duration::days(i64::from(d)));
            store
                .create_token(u.id, &label, &auth::hash_secret(&secret), scope, expires)
                .await
                .map_err(store_error)?;
            audit(
                &store,
                "created token",
                &format!("{} ({}, {label})", u.email, scope.as_str()),
            )
            .await?;
            // The only time the secret is shown: print it alone on stdout for scripts.
            println!("{secret}");
            eprintln!(
                "A {} token for {}. Store it now: it cannot be shown again.",
                scope.as_str(),
                u.email
            );
            store.close().await;
        }
    }
    Ok(())
}
