-- Distribute Circle's schema on a Citus cluster: every circle's rows on one node.
--
-- Run once on the Citus coordinator, after `flask db upgrade` has built the schema
-- there (revision 0023 or later) and with the citus extension created:
--
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f scripts/citus.sql
--
-- The tables may already hold rows: Citus copies them to the nodes. Later revisions run
-- on the coordinator as before; Citus passes their DDL on to the nodes.
--
-- Citus's multi-tenant model (docs.citusdata.com, "Multi-tenant Applications" and
-- "Identify Distribution Strategy") sorts the tables into four kinds, and so does this
-- script; tests/app/test_citus_ready.py reads the catalog and this file and fails when
-- a table is missing here, named with the wrong column, or named before a table its
-- foreign keys point at (Citus distributes a table only after those).
--
-- 1. Reference tables: no circle_id, shared by every circle, joined by the circle
--    tables. A full copy on every node. A foreign key may point from a distributed
--    table at a reference table, or between reference tables, never from a reference
--    table at a distributed one.
-- 2. The tenant: `circles`, distributed by its own id - the value every circle table's
--    circle_id holds (Citus's example distributes `companies` by id and `campaigns`,
--    `ads` ... by company_id, all colocated).
-- 3. The circle tables, distributed by circle_id and colocated with `circles`: the same
--    circle's rows of every table live in shards on the same node, so a circle's joins,
--    keys, foreign keys and transactions stay on one node. Their primary keys and
--    unique keys all contain circle_id, and their foreign keys to each other are
--    composite with circle_id on both sides (migration 0023).
-- 4. Local tables, left alone here, stay plain PostgreSQL tables on the coordinator:
--    alembic_version, and outbox_mails (a mail may be about no circle - a password
--    reset - and the worker claims due mails of every circle at once with
--    FOR UPDATE SKIP LOCKED, which Citus runs on one shard only).
--
-- What the application then still needs (not the schema's part): every statement about
-- one circle names circle_id, so Citus routes it to one node. Statements that give only
-- a token hash or a Stripe id (an invitation link, the calendar feed, a webhook) ask
-- every shard through an index: correct, a little slower. The ids are serial integers
-- whose sequences live on the coordinator: write through the coordinator.

-- 1. Reference tables. `users` and `professions` first: the others point at users.
SELECT create_reference_table('users');
SELECT create_reference_table('professions');
SELECT create_reference_table('profiles');             -- one per person, in every circle
SELECT create_reference_table('profile_images');
SELECT create_reference_table('referral_wishes');
SELECT create_reference_table('user_sessions');        -- logins are per person
SELECT create_reference_table('remember_tokens');
SELECT create_reference_table('api_tokens');
SELECT create_reference_table('recovery_codes');
SELECT create_reference_table('stripe_events');        -- an event names its circle only inside

-- 2. The tenant.
SELECT create_distributed_table('circles', 'id');

-- 3. The circle tables, each after the tables its foreign keys point at.
SELECT create_distributed_table('memberships', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('external_parties', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('visitors', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('meetings', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('imports', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('dues_plans', 'circle_id', colocate_with => 'circles');
-- slips and what was done
SELECT create_distributed_table('referrals', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('closed_business', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('pair_totals', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('member_months', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('one_to_ones', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('education_credits', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('other_slips', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('import_jobs', 'circle_id', colocate_with => 'circles');
-- meetings
SELECT create_distributed_table('attendance', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('meeting_replies', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('visitor_visits', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('weekly_reports', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('reminders_sent', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('absence_warnings_sent', 'circle_id', colocate_with => 'circles');
-- membership
SELECT create_distributed_table('invitations', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('membership_roles', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('profile_search', 'circle_id', colocate_with => 'circles');
-- dues
SELECT create_distributed_table('payments', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('dues_subscriptions', 'circle_id', colocate_with => 'circles');
SELECT create_distributed_table('dues_reminders_sent', 'circle_id', colocate_with => 'circles');
-- the audit trail
SELECT create_distributed_table('audit_entries', 'circle_id', colocate_with => 'circles');
