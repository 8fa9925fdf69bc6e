-- Migration 8: a channel's default language, launcher position and greetings per language
-- (issue 8). Append-only: never edit a landed migration, add a new numbered one.

-- One of the widget's languages (en, es, fr, de, vi): the widget speaks the visitor's browser
-- language when it can, else this one; `greeting` is the greeting in this language.
ALTER TABLE channels ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
-- Where the launcher sits: right or left bottom corner.
ALTER TABLE channels ADD COLUMN position TEXT NOT NULL DEFAULT 'right';
-- The greetings per language as JSON [{"language","text"}], at most one per language
-- (shared::admin::channel_greetings).
ALTER TABLE channels ADD COLUMN greetings TEXT NOT NULL DEFAULT '[]';
