-- The contract allows 200 characters (Unicode code points) in display_name. PostgreSQL counts
-- VARCHAR length in characters, H2 in UTF-16 units, where a code point outside the BMP (an
-- emoji) takes two: 400 holds any 200 code points on both.
ALTER TABLE accounts ALTER COLUMN display_name SET DATA TYPE VARCHAR(400);
