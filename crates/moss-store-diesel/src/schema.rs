//! The diesel schema: portable types only (TypeID text ids, naive UTC timestamps, text JSON).

diesel::table! {
    workspaces (id) {
        id -> Text,
        name -> Text,
        slug -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    members (id) {
        id -> Text,
        workspace_id -> Text,
        email -> Text,
        email_lower -> Text,
        name -> Nullable<Text>,
        role -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        workspace_id -> Text,
        member_id -> Text,
        name -> Text,
        scope -> Text,
        prefix -> Text,
        digest -> Binary,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    companies (id) {
        id -> Text,
        workspace_id -> Text,
        name -> Text,
        domain -> Nullable<Text>,
        industry -> Nullable<Text>,
        website -> Nullable<Text>,
        phone -> Nullable<Text>,
        notes -> Nullable<Text>,
        custom_fields -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    contacts (id) {
        id -> Text,
        workspace_id -> Text,
        first_name -> Text,
        last_name -> Nullable<Text>,
        email -> Nullable<Text>,
        email_lower -> Nullable<Text>,
        phone -> Nullable<Text>,
        title -> Nullable<Text>,
        linkedin_url -> Nullable<Text>,
        company_id -> Nullable<Text>,
        notes -> Nullable<Text>,
        custom_fields -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    tags (workspace_id, name_lower) {
        workspace_id -> Text,
        name_lower -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    record_tags (record_id, name_lower) {
        record_id -> Text,
        workspace_id -> Text,
        name_lower -> Text,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        workspace_id -> Text,
        event_type -> Text,
        target_type -> Text,
        target_id -> Text,
        actor_type -> Text,
        actor_id -> Nullable<Text>,
        request_id -> Text,
        ip -> Nullable<Text>,
        metadata -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    deals (id) {
        id -> Text,
        workspace_id -> Text,
        name -> Text,
        stage -> Text,
        value -> Nullable<BigInt>,
        currency -> Text,
        expected_close -> Nullable<Date>,
        company_id -> Nullable<Text>,
        notes -> Nullable<Text>,
        lost_reason -> Nullable<Text>,
        closed_at -> Nullable<Timestamp>,
        stage_changed_at -> Timestamp,
        custom_fields -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Each stretch of time a deal spent in one stage.
    deal_stages (id) {
        id -> Text,
        deal_id -> Text,
        workspace_id -> Text,
        stage -> Text,
        entered_at -> Timestamp,
        left_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Contacts linked to deals.
    deal_contacts (deal_id, contact_id) {
        deal_id -> Text,
        contact_id -> Text,
        workspace_id -> Text,
        role -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// The search index of every record (one row per record; `kind` is its singular name).
    search_documents (record_id) {
        record_id -> Text,
        workspace_id -> Text,
        kind -> Text,
        names -> Text,
        keys -> Text,
        other -> Text,
        label -> Text,
        exact -> Text,
    }
}

diesel::table! {
    /// Custom-field definitions (a record resource).
    custom_field_definitions (id) {
        id -> Text,
        workspace_id -> Text,
        entity_type -> Text,
        field_name -> Text,
        name_key -> Text,
        field_label -> Text,
        field_type -> Text,
        field_options -> Nullable<Text>,
        required -> Bool,
        display_order -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// The typed values of defined custom fields (a multiselect: one row per option).
    custom_field_values (record_id, field_id, ord) {
        record_id -> Text,
        field_id -> Text,
        ord -> Integer,
        workspace_id -> Text,
        value_text -> Nullable<Text>,
        value_number -> Nullable<Double>,
        value_key -> Nullable<Text>,
    }
}

diesel::table! {
    /// Deleted definitions whose values are still to be reclaimed.
    custom_field_purges (field_id) {
        field_id -> Text,
        workspace_id -> Text,
        deleted_at -> Timestamp,
    }
}

diesel::table! {
    /// Interactions logged against a contact (no tags or custom fields).
    interactions (id) {
        id -> Text,
        workspace_id -> Text,
        contact_id -> Text,
        #[sql_name = "type"]
        kind -> Text,
        deal_id -> Nullable<Text>,
        notes -> Nullable<Text>,
        occurred_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Commitments made to a contact (no tags or custom fields).
    commitments (id) {
        id -> Text,
        workspace_id -> Text,
        contact_id -> Text,
        description -> Text,
        deal_id -> Nullable<Text>,
        due_date -> Nullable<Date>,
        status -> Text,
        completed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Follow-ups about a contact (no tags or custom fields); `priority` is its rank.
    followups (id) {
        id -> Text,
        workspace_id -> Text,
        contact_id -> Text,
        title -> Text,
        deal_id -> Nullable<Text>,
        due_date -> Date,
        priority -> Integer,
        notes -> Nullable<Text>,
        completed -> Bool,
        completed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    search_documents,
    custom_field_definitions,
    custom_field_values,
    custom_field_purges,
    interactions,
    commitments,
    followups,
    deals,
    deal_stages,
    deal_contacts,
    workspaces,
    members,
    api_keys,
    companies,
    contacts,
    tags,
    record_tags,
    audit_log
);

diesel::define_sql_function! {
    /// Lower-cases text (ASCII on both engines, given the "C" collation on Postgres).
    #[sql_name = "lower"]
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

diesel::define_sql_function! {
    /// `lower` for nullable columns.
    #[sql_name = "lower"]
    fn lower_nullable(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

diesel::table! {
    /// Exact record counts per workspace and resource, kept by triggers (summed over shards).
    record_totals (workspace_id, resource, shard) {
        workspace_id -> Text,
        resource -> Text,
        shard -> SmallInt,
        total -> BigInt,
    }
}

diesel::table! {
    idempotency_keys (api_key_id, idem_key) {
        api_key_id -> Text,
        idem_key -> Text,
        fingerprint -> Binary,
        status -> Integer,
        location -> Nullable<Text>,
        body -> Binary,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    /// Data steps written in Rust that have run on this database (see `normalize`).
    maintenance_steps (name) {
        name -> Text,
        done_at -> Timestamp,
    }
}
