use chrono::NaiveDateTime;
use diesel::prelude::*;
use moss_domain::id::{MemberId, WorkspaceId};
use moss_domain::page::{Page, PageRequest, SortOrder};
use moss_domain::text::EmailAddress;
use moss_domain::workspace::model::{Member, MemberSort, Slug, Workspace};
use moss_domain::workspace::ports::WorkspaceRepo;
use moss_domain::{Result, Role};

use super::{count, limits, naive, parse_id, utc};
use crate::error;
use crate::schema::{lower, lower_nullable, members, workspaces};
use crate::store::DieselTx;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = workspaces)]
struct WorkspaceRow {
    id: String,
    name: String,
    slug: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl WorkspaceRow {
    fn into_domain(self) -> Result<Workspace> {
        Ok(Workspace {
            id: parse_id!(WorkspaceId, self.id)?,
            name: self.name,
            slug: Slug::from_stored(self.slug),
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = members)]
struct MemberRow {
    id: String,
    workspace_id: String,
    email: String,
    email_lower: String,
    name: Option<String>,
    role: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl MemberRow {
    fn from_domain(m: &Member) -> Self {
        Self {
            id: m.id.to_string(),
            workspace_id: m.workspace_id.to_string(),
            email: m.email.as_str().to_owned(),
            email_lower: m.email.normalized(),
            name: m.name.clone(),
            role: m.role.as_str().to_owned(),
            created_at: naive(&m.created_at),
            updated_at: naive(&m.updated_at),
        }
    }

    fn into_domain(self) -> Result<Member> {
        Ok(Member {
            id: parse_id!(MemberId, self.id)?,
            workspace_id: parse_id!(WorkspaceId, self.workspace_id)?,
            email: EmailAddress::from_stored(self.email),
            name: self.name,
            role: Role::parse(&self.role).ok_or_else(|| error::corrupt("role", &self.role))?,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

impl WorkspaceRepo for DieselTx<'_> {
    fn count_workspaces(&mut self) -> Result<u64> {
        workspaces::table
            .count()
            .get_result::<i64>(self.conn)
            .map(count)
            .map_err(error::db)
    }

    fn insert_workspace(&mut self, w: &Workspace) -> Result<()> {
        let row = WorkspaceRow {
            id: w.id.to_string(),
            name: w.name.clone(),
            slug: w.slug.as_str().to_owned(),
            created_at: naive(&w.created_at),
            updated_at: naive(&w.updated_at),
        };
        diesel::insert_into(workspaces::table)
            .values(&row)
            .execute(self.conn)
            .map_err(error::db)?;
        Ok(())
    }

    fn workspace(&mut self, id: WorkspaceId) -> Result<Option<Workspace>> {
        workspaces::table
            .find(id.to_string())
            .select(WorkspaceRow::as_select())
            .first(self.conn)
            .optional()
            .map_err(error::db)?
            .map(WorkspaceRow::into_domain)
            .transpose()
    }

    fn workspace_by_slug(&mut self, slug: &str) -> Result<Option<Workspace>> {
        workspaces::table
            .filter(workspaces::slug.eq(slug))
            .select(WorkspaceRow::as_select())
            .first(self.conn)
            .optional()
            .map_err(error::db)?
            .map(WorkspaceRow::into_domain)
            .transpose()
    }

    fn insert_member(&mut self, m: &Member) -> Result<()> {
        diesel::insert_into(members::table)
            .values(&MemberRow::from_domain(m))
            .execute(self.conn)
            .map_err(error::db)?;
        Ok(())
    }

    fn member(&mut self, ws: WorkspaceId, id: MemberId) -> Result<Option<Member>> {
        members::table
            .filter(members::workspace_id.eq(ws.to_string()))
            .filter(members::id.eq(id.to_string()))
            .select(MemberRow::as_select())
            .first(self.conn)
            .optional()
            .map_err(error::db)?
            .map(MemberRow::into_domain)
            .transpose()
    }

    fn member_by_email(&mut self, ws: WorkspaceId, email_lower: &str) -> Result<Option<Member>> {
        members::table
            .filter(members::workspace_id.eq(ws.to_string()))
            .filter(members::email_lower.eq(email_lower))
            .select(MemberRow::as_select())
            .first(self.conn)
            .optional()
            .map_err(error::db)?
            .map(MemberRow::into_domain)
            .transpose()
    }

    fn first_owner(&mut self, ws: WorkspaceId) -> Result<Option<Member>> {
        members::table
            .filter(members::workspace_id.eq(ws.to_string()))
            .filter(members::role.eq(Role::Owner.as_str()))
            .order((members::created_at.asc(), members::id.asc()))
            .select(MemberRow::as_select())
            .first(self.conn)
            .optional()
            .map_err(error::db)?
            .map(MemberRow::into_domain)
            .transpose()
    }

    fn list_members(&mut self, ws: WorkspaceId, page: &PageRequest<MemberSort>) -> Result<Page<Member>> {
        let ws = ws.to_string();
        let total = members::table
            .filter(members::workspace_id.eq(&ws))
            .count()
            .get_result::<i64>(self.conn)
            .map_err(error::db)?;
        let q = members::table.filter(members::workspace_id.eq(&ws)).into_boxed();
        let q = match (page.sort, page.order) {
            (MemberSort::CreatedAt, SortOrder::Asc) => q.order((members::created_at.asc(), members::id.asc())),
            (MemberSort::CreatedAt, SortOrder::Desc) => q.order((members::created_at.desc(), members::id.desc())),
            (MemberSort::Email, SortOrder::Asc) => q.order((lower(members::email).asc(), members::id.asc())),
            (MemberSort::Email, SortOrder::Desc) => q.order((lower(members::email).desc(), members::id.desc())),
            (MemberSort::Name, SortOrder::Asc) => q.order((
                members::name.is_null().asc(),
                lower_nullable(members::name).asc(),
                members::id.asc(),
            )),
            (MemberSort::Name, SortOrder::Desc) => q.order((
                members::name.is_null().asc(),
                lower_nullable(members::name).desc(),
                members::id.desc(),
            )),
        };
        let (limit, offset) = limits(page);
        let rows = q
            .select(MemberRow::as_select())
            .limit(limit)
            .offset(offset)
            .load(self.conn)
            .map_err(error::db)?;
        let items = rows
            .into_iter()
            .map(MemberRow::into_domain)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            total: count(total),
        })
    }
}
