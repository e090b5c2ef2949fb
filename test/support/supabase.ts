// A database that looks to Archon as a Supabase project does: the platform's roles (cluster-wide,
// created idempotently and never dropped, so test files on one server never clash), its schemas
// owned by them, auth.users and identities, storage buckets and objects, the migration-history
// tables, some internals, and a public knowledge base with real[] embeddings.
/** Where the fixture's SQL runs: a TestDb, or any database by URL (the end-to-end test). */
interface Db {
  sql(text: string): Promise<unknown>;
}

const ROLES = ['supabase_admin', 'supabase_auth_admin', 'supabase_storage_admin', 'authenticator', 'service_role'];

/** CREATE ROLE that tolerates a role made earlier, or at the same moment by another session. */
export const createRoleSql = (name: string, options = 'NOLOGIN'): string =>
  `DO $$ BEGIN CREATE ROLE "${name}" ${options};
   EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;`;

const PLATFORM_DDL = `
  CREATE SCHEMA auth AUTHORIZATION supabase_auth_admin;
  CREATE SCHEMA storage AUTHORIZATION supabase_storage_admin;
  CREATE SCHEMA realtime AUTHORIZATION supabase_admin;
  CREATE SCHEMA graphql_public AUTHORIZATION supabase_admin;
  CREATE SCHEMA supabase_migrations;
  CREATE SCHEMA extensions;
  CREATE SCHEMA vault AUTHORIZATION supabase_admin;
  CREATE SCHEMA supabase_functions AUTHORIZATION supabase_admin;
  CREATE TABLE auth.users (instance_id uuid, id uuid PRIMARY KEY, aud varchar(255), role varchar(255),
    email varchar(255), encrypted_password varchar(255), email_confirmed_at timestamptz,
    raw_app_meta_data jsonb, raw_user_meta_data jsonb, created_at timestamptz, updated_at timestamptz,
    is_anonymous boolean NOT NULL DEFAULT false);
  CREATE TABLE auth.identities (id uuid PRIMARY KEY, user_id uuid NOT NULL REFERENCES auth.users(id) ON DELETE CASCADE,
    provider text NOT NULL, provider_id text NOT NULL, identity_data jsonb NOT NULL, created_at timestamptz);
  CREATE TABLE auth.schema_migrations (version varchar(255) PRIMARY KEY);
  CREATE TABLE storage.buckets (id text PRIMARY KEY, name text NOT NULL UNIQUE, owner uuid, public boolean DEFAULT false,
    created_at timestamptz DEFAULT now());
  CREATE TABLE storage.objects (id uuid PRIMARY KEY, bucket_id text REFERENCES storage.buckets(id), name text,
    owner uuid, metadata jsonb, created_at timestamptz DEFAULT now());
  CREATE TABLE storage.migrations (id int PRIMARY KEY, name varchar(100) UNIQUE NOT NULL, hash varchar(40) NOT NULL,
    executed_at timestamp DEFAULT now());
  CREATE TABLE supabase_migrations.schema_migrations (version text PRIMARY KEY, statements text[], name text);
  CREATE TABLE supabase_functions.hooks (id bigserial PRIMARY KEY, hook_table_id int NOT NULL, hook_name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(), request_id bigint);
  CREATE TABLE supabase_functions.migrations (version text PRIMARY KEY, inserted_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE realtime.schema_migrations (version bigint PRIMARY KEY, inserted_at timestamp(0));
  CREATE TABLE realtime.subscription (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, subscription_id uuid NOT NULL,
    entity text NOT NULL, claims jsonb NOT NULL, created_at timestamp NOT NULL DEFAULT now());
  CREATE TABLE vault.secrets (id uuid PRIMARY KEY, name text, secret text NOT NULL, nonce bytea);`;

/** The user's own tables: the story's knowledge base, embeddings as real[] (no pgvector in the test servers). */
export const PUBLIC_DDL = `
  CREATE TABLE public.sources (source_id text PRIMARY KEY, summary text, total_words int, metadata jsonb);
  CREATE TABLE public.crawled_pages (id bigserial PRIMARY KEY, url text NOT NULL, chunk_number int NOT NULL,
    content text NOT NULL, metadata jsonb NOT NULL, source_id text NOT NULL REFERENCES public.sources(source_id),
    embedding real[], UNIQUE (url, chunk_number));`;

const PLATFORM_ROWS = `
  INSERT INTO auth.users (id, aud, role, email, encrypted_password, raw_app_meta_data, created_at)
    SELECT ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, 'authenticated', 'authenticated',
           'user' || g || '@example.com', '$2a$10$hash' || g, '{"provider":"email"}', '2026-01-01'::timestamptz + g * interval '1 hour'
      FROM generate_series(1, 25) g;
  INSERT INTO auth.identities SELECT gen_random_uuid(), id, 'email', id::text, jsonb_build_object('sub', id), created_at
    FROM auth.users;
  INSERT INTO auth.schema_migrations VALUES ('20171026211738'), ('20240427152123');
  INSERT INTO storage.buckets (id, name, public) VALUES ('avatars', 'avatars', true), ('docs', 'docs', false);
  INSERT INTO storage.objects (id, bucket_id, name, metadata)
    SELECT gen_random_uuid(), 'avatars', 'u' || g || '.png', '{"size": 1024}' FROM generate_series(1, 10) g;
  INSERT INTO storage.migrations (id, name, hash) VALUES (0, 'create-migrations-table', 'e18db593');
  INSERT INTO supabase_migrations.schema_migrations VALUES ('20250101000000', '{"create table sources"}', 'init');
  INSERT INTO supabase_functions.migrations (version) VALUES ('initial');
  INSERT INTO realtime.schema_migrations VALUES (20211116024918, now());
  INSERT INTO vault.secrets VALUES (gen_random_uuid(), 'api key', 'ciphertext', '\\x00ff');`;

const PUBLIC_ROWS = `
  INSERT INTO public.sources VALUES ('docs.example.com', 'Docs', 1200, '{"crawl": 1}'), ('blog.example.com', 'Blog', 300, NULL);
  INSERT INTO public.crawled_pages (url, chunk_number, content, metadata, source_id, embedding)
    SELECT 'https://docs.example.com/p' || (g / 3), g % 3, E'line one\\nline "two", with quotes\\n' || g,
           jsonb_build_object('n', g), 'docs.example.com',
           ARRAY(SELECT ((g * 31 + i) % 97)::real / 97 FROM generate_series(1, 64) i)
      FROM generate_series(1, 120) g;`;

/** The platform's roles on the server (idempotent: they are the cluster's, shared by every test file). */
export async function ensureSupabaseRoles(db: Db): Promise<void> {
  for (const r of ROLES) await db.sql(createRoleSql(r));
}

/**
 * A Supabase-like database: `rows` fills it as a project in use would be (a source); without, it is a
 * fresh project's tables (a target) that still holds its own migration history.
 */
export async function makeSupabaseLike(db: Db, { rows }: { rows: boolean }): Promise<void> {
  await ensureSupabaseRoles(db);
  await db.sql(PLATFORM_DDL + PUBLIC_DDL);
  if (rows) await db.sql(PLATFORM_ROWS + PUBLIC_ROWS);
  else await db.sql(`INSERT INTO supabase_migrations.schema_migrations VALUES ('20990101000000', '{}', 'target own')`);
}

/** A plain PostgreSQL database with the same user tables, and auth/storage tables made by hand (owner: postgres). */
export async function makeLocalPostgres(db: Db, { rows }: { rows: boolean }): Promise<void> {
  await db.sql(PLATFORM_DDL.replace(/ AUTHORIZATION \w+/g, '') + PUBLIC_DDL);
  if (rows) await db.sql(PLATFORM_ROWS + PUBLIC_ROWS);
}
