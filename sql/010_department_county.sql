-- Participating departments serve one county (参勤单位 of the county's joint-duty system): their
-- staff see that county's map and report there, and only that county's security administrator
-- manages their accounts. Rows from before this migration get the county when there is just one.

ALTER TABLE departments ADD COLUMN county_code varchar(6) REFERENCES counties (code);
UPDATE departments SET county_code = (SELECT min(code) FROM counties)
 WHERE (SELECT count(*) FROM counties) = 1;
CREATE INDEX departments_county_idx ON departments (county_code);
