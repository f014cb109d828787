-- The five kinds of work of standard clause 5 and their sub-categories.

CREATE TABLE category_kinds (
    code     text PRIMARY KEY CHECK (code IN ('livelihood', 'urban', 'safety', 'environment', 'order')),
    name     text NOT NULL,
    name_en  text NOT NULL
);

CREATE TABLE categories (
    code              text PRIMARY KEY,
    name              text NOT NULL,
    name_en           text NOT NULL,
    kind_code         text NOT NULL REFERENCES category_kinds (code),
    department_code   text NOT NULL REFERENCES departments (code),
    priority          text NOT NULL CHECK (priority IN ('urgent', 'high', 'normal', 'low')),
    response_minutes  integer NOT NULL CHECK (response_minutes > 0),
    handling_minutes  integer NOT NULL CHECK (handling_minutes >= response_minutes),
    level             smallint NOT NULL CHECK (level IN (1, 2))
);
CREATE INDEX categories_kind_idx ON categories (kind_code);
