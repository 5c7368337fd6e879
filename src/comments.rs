//! `masthead comments …`: a commenter's rights from the command line — their data
//! handed to them, or anonymised.

use crate::accounts::open;
use crate::config::SiteArgs;
use crate::store_error;
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use masthead_store::NewAuditEntry;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum CommentsCommand {
    /// Anonymise everything kept about a commenter: their comments stay, under
    /// "Anonymous", without email, website, address or browser
    Erase {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        site: SiteArgs,
    },
    /// Print (or write) every comment a commenter wrote, with what is kept about them, as JSON
    Export {
        #[arg(long)]
        email: String,
        /// Write to this file instead of standard output
        #[arg(long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        site: SiteArgs,
    },
}

#[derive(Serialize)]
struct Exported {
    id: i64,
    article_id: i64,
    article_title: String,
    parent_id: Option<i64>,
    status: &'static str,
    author_name: String,
    author_email: String,
    author_url: String,
    content: String,
    client_ip: String,
    user_agent: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

pub async fn comments(cmd: CommentsCommand) -> Result<()> {
    match cmd {
        CommentsCommand::Erase { email, site } => {
            if !email.contains('@') {
                bail!("\"{email}\" is not an email address");
            }
            let store = open(&site).await?;
            let n = store.erase_commenter(&email).await.map_err(store_error)?;
            store
                .audit(&NewAuditEntry {
                    actor: "command line".into(),
                    action: "commenter erased".into(),
                    target: format!("{n} comment(s)"),
                    ..Default::default()
                })
                .await
                .map_err(store_error)?;
            println!("Anonymised {n} comment(s) written under that address.");
            Ok(())
        }
        CommentsCommand::Export {
            email,
            output,
            site,
        } => {
            let store = open(&site).await?;
            let mut out = Vec::new();
            for c in store.comments_by_email(&email).await.map_err(store_error)? {
                let article_title = store
                    .article(c.article_id)
                    .await
                    .map_err(store_error)?
                    .map(|a| a.summary.title)
                    .unwrap_or_default();
                out.push(Exported {
                    id: c.id,
                    article_id: c.article_id,
                    article_title,
                    parent_id: c.parent_id,
                    status: c.status.as_str(),
                    author_name: c.author_name,
                    author_email: c.author_email,
                    author_url: c.author_url,
                    content: c.body,
                    client_ip: c.client_ip,
                    user_agent: c.user_agent,
                    created_at: c.created_at,
                });
            }
            let json = serde_json::to_string_pretty(&out)?;
            match output {
                Some(path) => std::fs::write(&path, json)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => println!("{json}"),
            }
            Ok(())
        }
    }
}
