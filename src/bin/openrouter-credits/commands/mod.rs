//! One module per command. Each reads through the client it is given and prints on [`Out`];
//! none decides where the figures come from (`source.rs`) or how the process ends (`main.rs`).

pub(crate) mod balance;
pub(crate) mod charge;
pub(crate) mod check;
pub(crate) mod key;
pub(crate) mod spendable;

use crate::args::{Command, Global};
use crate::output::Out;
use crate::source::{self, MonitorError, Refused, Source};
use crate::{Failure, Outcome};

/// Where a command's figures come from, chosen (and its arguments checked) before anything starts.
pub(crate) enum Plan {
    /// A monitor (`check`, `watch`) asks [`source::monitor`] itself: its refusal is its own
    /// answer (UNKNOWN for `check`).
    Monitor,
    /// Any other command: the source chosen, and the charge's bearer token when one was given.
    Show { source: Source, bearer: Option<String> },
}

/// Runs `command` as planned.
pub(crate) async fn run(global: &Global, command: Command, plan: Plan, out: &mut Out) -> Result<Outcome, Failure> {
    let (connection, bearer) = match (plan, &command) {
        (_, Command::Check(args)) => return Ok(Outcome::Check(check::run(global, args, out).await)),
        (Plan::Show { source, bearer }, _) => (source::connect(global, source).await?, bearer),
        // A monitor other than `check` (`watch`): the fake server only with --demo, and a
        // refusal is a usage error.
        (Plan::Monitor, other) => match source::monitor(global, other.name()).await {
            Ok(connection) => (connection, None),
            Err(MonitorError::Refused(Refused(message))) => return Err(Failure::Usage(message)),
            Err(MonitorError::Failed(failure)) => return Err(failure),
        },
    };
    let (client, json, source) = (&connection.client, global.json, connection.source);
    Ok(match command {
        Command::Spendable(args) => {
            let request =
                spendable::Request { min_remaining: args.min_remaining, deadline: connection.deadline, json, source };
            spendable::run(client, &request, out).await?
        }
        Command::Balance(args) => balance::run(client, &args, json, source, out).await?,
        Command::Key(args) => key::run(client, &args, json, source, out).await?,
        Command::Charge(args) => {
            let bearer = bearer.unwrap_or_else(source::demo_bearer);
            charge::run(client, args, bearer, json, source, out).await?
        }
        // Answered above.
        Command::Check(_) => Outcome::Done,
        // Planned as `Plan::Monitor` (main.rs `plan`): its connection came from
        // `source::monitor` above, the demo only with --demo.
        Command::Watch(args) => crate::watch::run(client, &args, json, source, connection.deadline).await?,
    })
}
