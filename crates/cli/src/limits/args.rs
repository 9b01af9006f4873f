//! The arguments of the limits commands.
use clap::{Args, Subcommand};

#[derive(Subcommand)]
pub enum AccountCommand {
    /// Open an account.
    Create {
        /// Customer id from the ERP.
        customer_id: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// Currency of the limit.
        #[arg(long)]
        currency: String,
        /// Segment.
        #[arg(long, default_value = "")]
        segment: String,
        /// Region.
        #[arg(long, default_value = "")]
        region: String,
        /// Business unit.
        #[arg(long, default_value = "")]
        business_unit: String,
        /// Parent account in a corporate group.
        #[arg(long, default_value = "")]
        parent: String,
    },
    /// Show one account.
    Get {
        /// Customer id.
        customer_id: String,
    },
    /// List accounts.
    List {
        /// Only this segment.
        #[arg(long, default_value = "")]
        segment: String,
        /// Only this region.
        #[arg(long, default_value = "")]
        region: String,
        /// Only accounts on hold.
        #[arg(long)]
        on_hold: bool,
        /// Only accounts with at least this utilisation (0.8 = 80 %).
        #[arg(long, default_value = "")]
        min_utilisation: String,
        /// Page size.
        #[arg(long, default_value_t = 100)]
        page_size: i32,
    },
}

#[derive(Subcommand)]
pub enum LimitCommand {
    /// Set the limit: --amount, --unlimited or --none. Only the applications service's
    /// identity may (role credit.service.applications: loading limits approved elsewhere, a
    /// migration); people change limits through credit applications.
    Set(Box<LimitArgs>),
    /// Every change of an account's limit.
    History {
        /// Customer id.
        customer_id: String,
    },
}

#[derive(Args)]
pub struct LimitArgs {
    /// Customer id.
    pub customer_id: String,
    /// Limit amount in the account currency (0 is a zero limit).
    #[arg(long, conflicts_with_all = ["unlimited", "none"])]
    pub amount: Option<String>,
    /// No ceiling.
    #[arg(long)]
    pub unlimited: bool,
    /// Remove the limit (no credit granted).
    #[arg(long)]
    pub none: bool,
    /// Currency of the amounts (the account's).
    #[arg(long)]
    pub currency: Option<String>,
    /// End of validity (RFC 3339).
    #[arg(long)]
    pub valid_to: Option<String>,
    /// Temporary amount on top.
    #[arg(long, requires = "temporary_until")]
    pub temporary: Option<String>,
    /// End of the temporary amount (RFC 3339).
    #[arg(long)]
    pub temporary_until: Option<String>,
    /// Tolerance above the limit, in percent.
    #[arg(long)]
    pub tolerance_percent: Option<String>,
    /// Why: recorded with the change and shown in the audit trail.
    #[arg(long)]
    pub reason: String,
    /// Who approved the change (repeat or comma-separate): recorded with it.
    #[arg(long, value_delimiter = ',', required = true)]
    pub approved_by: Vec<String>,
    /// The approval's reference (the decision's id where it was taken).
    #[arg(long)]
    pub approval_reference: String,
}

#[derive(Args)]
pub struct CheckArgs {
    /// Customer id.
    pub customer_id: String,
    /// Sales order id.
    pub order_id: String,
    /// Order amount.
    pub amount: String,
    /// Order currency.
    #[arg(long)]
    pub currency: String,
    /// Decide without reserving.
    #[arg(long)]
    pub dry_run: bool,
    /// Idempotency key (a new UUID when omitted).
    #[arg(long)]
    pub request_id: Option<String>,
}

#[derive(Subcommand)]
pub enum ReservationCommand {
    /// Show a reservation.
    Get {
        /// Reservation id.
        reservation_id: String,
    },
    /// Goods shipped: move an amount to delivered-not-invoiced.
    Ship {
        /// Reservation id.
        reservation_id: String,
        /// Amount.
        amount: String,
        /// Currency (the account's).
        #[arg(long)]
        currency: String,
    },
    /// Invoice posted: move an amount into open receivables.
    Invoice {
        /// Reservation id.
        reservation_id: String,
        /// Amount.
        amount: String,
        /// Currency (the account's).
        #[arg(long)]
        currency: String,
        /// Invoice id.
        #[arg(long)]
        document_id: String,
    },
    /// Order cancelled: release what is still reserved.
    Release {
        /// Reservation id.
        reservation_id: String,
        /// Why: recorded with the change and shown in the audit trail.
        #[arg(long, default_value = "order cancelled")]
        reason: String,
    },
}

#[derive(Subcommand)]
pub enum HoldCommand {
    /// Put an account on credit hold.
    Place {
        /// Customer id.
        customer_id: String,
        /// Why: recorded with the change and shown in the audit trail.
        #[arg(long)]
        reason: String,
    },
    /// Lift a hold.
    Release {
        /// Hold id.
        hold_id: String,
        /// Why: recorded with the change and shown in the audit trail.
        #[arg(long)]
        reason: String,
    },
    /// An account's holds.
    List {
        /// Customer id.
        customer_id: String,
        /// Include released holds.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Subcommand)]
pub enum FxCommand {
    /// Record a rate: units of QUOTE per unit of BASE.
    Set {
        /// Base currency.
        base: String,
        /// Quote currency.
        quote: String,
        /// Rate.
        rate: String,
        /// In force from (RFC 3339); now when omitted.
        #[arg(long)]
        effective: Option<String>,
    },
    /// List rates.
    List,
}

#[derive(Subcommand)]
pub enum DecisionCommand {
    /// A stored decision with its inputs.
    Get {
        /// Decision id.
        decision_id: String,
    },
    /// Recompute a decision from its stored inputs.
    Replay {
        /// Decision id.
        decision_id: String,
    },
}
