-- Handling limits in working time (clause 6.2.1): a category's handling limit may count working hours or
-- working days of the county's calendar (012) instead of clock minutes. Response limits stay in minutes.

ALTER TABLE categories
    ADD COLUMN handling_unit text NOT NULL DEFAULT 'minutes' CHECK (handling_unit IN ('minutes', 'work_hours',
                                                                                      'work_days')),
    ADD COLUMN handling_amount numeric CHECK (handling_amount > 0),
    ADD CONSTRAINT categories_handling_amount CHECK ((handling_unit = 'minutes') = (handling_amount IS NULL));
