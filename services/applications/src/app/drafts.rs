//! Applications before and outside the decision: created, updated and read (sensitive fields
//! sealed, shown in clear only to those who assess), withdrawn, and their notices.
use super::outcome::{clear_outputs, notice_for};
use super::summary;
use super::{Applications, canonical_request};
use crate::convert::{application_to_wire, workflow_of, workflow_to_wire};
use crate::domain::state::Action;
use crate::store::{self, Filter, StoredApplication};
use credit_platform::auth::Caller;
use credit_platform::begin_mutation;
use credit_platform::clock::{Micros, to_timestamp};
use credit_platform::context::RequestContext;
use credit_platform::error::ApiError;
use credit_platform::outbox::{self, Payload};
use credit_platform::scope::{CustomerScope, DataScope};
use credit_proto::applications as pb;
use sqlx::AnyConnection;

impl Applications {
    /// Places the application's customer for data scopes: where limits' master data puts it
    /// when known, else (a new customer) where its intake says until limits opens its account.
    /// A caller limited to a scope creates applications only for customers inside it.
    async fn place(
        &self,
        conn: &mut AnyConnection,
        scope: &DataScope,
        app: &pb::Application,
        now: Micros,
    ) -> Result<(), ApiError> {
        let applicant = app.applicant.clone().unwrap_or_default();
        let intake = CustomerScope {
            region: applicant.region,
            business_unit: applicant.business_unit,
        };
        let place = credit_platform::scope::of_customer(conn, &app.customer_id)
            .await?
            .unwrap_or(intake);
        scope.must_admit(&app.customer_id, &place.region, &place.business_unit)?;
        credit_platform::scope::place_if_unknown(conn, &app.customer_id, &place, now).await
    }

    /// Saves a new draft.
    pub async fn create(
        &self,
        context: &RequestContext,
        request: &pb::CreateApplicationRequest,
    ) -> Result<pb::Application, ApiError> {
        let mut m = begin_mutation!(
            &self.db,
            &*self.clock,
            context,
            "CreateApplication",
            request
        );
        let mut app = request.application.clone().unwrap_or_default();
        app.application_id = uuid::Uuid::now_v7().to_string();
        app.state = pb::ApplicationState::Draft as i32;
        app.created_by = context.caller.subject.clone();
        app.create_time = Some(to_timestamp(m.now));
        app.update_time = app.create_time;
        clear_outputs(&mut app);
        canonical_request(&mut app);
        self.place(&mut m.tx, &context.caller.scope, &app, m.now)
            .await?;
        self.refuse_duplicate(&mut m.tx, &app).await?;
        let row = self.to_row(&app, &context.caller.subject, m.now, m.now)?;
        store::insert(&mut m.tx, &row).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            self.event(
                "credit.applications.application.created",
                &app,
                Payload::of(&pb::ApplicationChanged {
                    application: summary(&app),
                }),
            ),
        )
        .await?;
        let answer = self.view(&row, &context.caller)?;
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// Replaces a draft's (or returned application's) content.
    pub async fn update(
        &self,
        context: &RequestContext,
        request: &pb::UpdateApplicationRequest,
    ) -> Result<pb::Application, ApiError> {
        let mut m = begin_mutation!(
            &self.db,
            &*self.clock,
            context,
            "UpdateApplication",
            request
        );
        let given = request.application.clone().unwrap_or_default();
        let row = self
            .to_change(&mut m.tx, &context.caller.scope, &given.application_id)
            .await?;
        row.state.allows(Action::Update).map_err(ApiError::from)?;
        let mut app = self.clear(&row)?;
        app.customer_id = given.customer_id;
        app.applicant = given.applicant;
        app.credit_request = given.credit_request;
        app.financial_statements = given.financial_statements;
        app.update_time = Some(to_timestamp(m.now));
        // Whoever shaped its content does not approve it (four eyes), even after someone else
        // resubmits it.
        if context.caller.subject != app.created_by
            && !app.edited_by.contains(&context.caller.subject)
        {
            app.edited_by.push(context.caller.subject.clone());
        }
        canonical_request(&mut app);
        self.refuse_duplicate(&mut m.tx, &app).await?;
        let row = self.to_row(&app, &row.created_by, row.created_at, m.now)?;
        store::update(&mut m.tx, &row).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            self.event(
                "credit.applications.application.updated",
                &app,
                Payload::of(&pb::ApplicationChanged {
                    application: summary(&app),
                }),
            ),
        )
        .await?;
        let answer = self.view(&row, &context.caller)?;
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// One application, as the caller may see it.
    pub async fn get(
        &self,
        caller: &Caller,
        application_id: &str,
    ) -> Result<pb::Application, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let row = self.seen(&mut conn, &caller.scope, application_id).await?;
        self.view(&row, caller)
    }

    /// A page of applications, masked.
    pub async fn list(
        &self,
        filter: &Filter,
        before: &str,
        page_size: i64,
    ) -> Result<(Vec<pb::Application>, String), ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let rows = store::list(&mut conn, filter, before, page_size + 1).await?;
        let more = rows.len() as i64 > page_size;
        let page: Vec<&StoredApplication> = rows.iter().take(page_size as usize).collect();
        let next = if more {
            page.last()
                .map(|r| r.application_id.clone())
                .unwrap_or_default()
        } else {
            String::new()
        };
        let masked = Caller::system("list");
        let apps = page
            .into_iter()
            .map(|row| self.view(row, &masked))
            .collect::<Result<_, _>>()?;
        Ok((apps, next))
    }
}

impl Applications {
    /// The service's now.
    pub fn now(&self) -> Micros {
        self.clock.now()
    }

    /// Every application submitted at least once, of customers inside `scope` (masked:
    /// metrics need no sensitive field).
    pub async fn all_submitted(&self, scope: &DataScope) -> Result<Vec<pb::Application>, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let rows = store::submitted(&mut conn, scope).await?;
        Ok(rows.iter().map(application_to_wire).collect())
    }

    /// The applicant withdraws.
    pub async fn withdraw(
        &self,
        context: &RequestContext,
        request: &pb::WithdrawApplicationRequest,
    ) -> Result<pb::Application, ApiError> {
        let mut m = begin_mutation!(
            &self.db,
            &*self.clock,
            context,
            "WithdrawApplication",
            request
        );
        let row = self
            .to_change(&mut m.tx, &context.caller.scope, &request.application_id)
            .await?;
        row.state.allows(Action::Withdraw).map_err(ApiError::from)?;
        let mut app = self.clear(&row)?;
        let mut workflow = workflow_of(&app)?;
        workflow.withdraw();
        app.approval_steps = workflow_to_wire(&workflow);
        app.state = pb::ApplicationState::Withdrawn as i32;
        app.update_time = Some(to_timestamp(m.now));
        let stored = self.to_row(&app, &row.created_by, row.created_at, m.now)?;
        store::update(&mut m.tx, &stored).await?;
        outbox::append(
            &mut m.tx,
            context,
            m.now,
            self.event(
                "credit.applications.application.withdrawn",
                &app,
                Payload::of(&pb::ApplicationWithdrawn {
                    application: summary(&app),
                    reason: request.reason.clone(),
                }),
            ),
        )
        .await?;
        let answer = self.view(&stored, &context.caller)?;
        self.finish(m, &answer).await?;
        Ok(answer)
    }

    /// The latest notice, in `language` (the applicant's when empty).
    pub async fn notice(
        &self,
        scope: &DataScope,
        application_id: &str,
        language: &str,
    ) -> Result<pb::DecisionNotice, ApiError> {
        let mut conn = self.db.pool.acquire().await?;
        let row = self.seen(&mut conn, scope, application_id).await?;
        // Notices name no sensitive field, so the masked form serves.
        let app = application_to_wire(&row.body);
        let language = if language.is_empty() {
            app.applicant
                .as_ref()
                .map(|a| a.preferred_language.clone())
                .unwrap_or_default()
        } else {
            language.to_string()
        };
        notice_for(&app, &language).ok_or_else(|| {
            ApiError::StateConflict(format!(
                "the application is {}: there is no decision or request to notify yet",
                row.state.name()
            ))
        })
    }
}
