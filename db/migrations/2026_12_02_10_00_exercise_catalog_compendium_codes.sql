-- Migration: correct the Compendium activity codes of 24 starter exercises
-- Version: 2026_12_02_10_00
--
-- Checked against the published 2011 Compendium of Physical Activities (Ainsworth et al.,
-- Med Sci Sports Exerc 43(8):1575-1581, supplemental table), 24 starter exercises carried the
-- code of another activity while their MET values were right: mountain biking, general (8.5)
-- is 01009, not 01019 (leisure bicycling at 9.4 mph, 5.8); the swimming rows had the codes of
-- skindiving, snorkeling and surfing, and 18235 does not exist. Only the code changes. Rows are
-- matched by their catalog id and the wrong code, so a row an administrator already corrected
-- is left alone. crates/sparky/tests/exercise_catalog.rs checks every shipped (code, MET) pair
-- against the Compendium's values in crates/sparky/tests/data/compendium_2011.csv.

-- The catalog rows are written as the owner, who may be subject to FORCEd RLS.
ALTER TABLE exercises NO FORCE ROW LEVEL SECURITY;

UPDATE exercises e
SET compendium_code = f.right_code
FROM (VALUES
    -- (catalog id, shipped code, the Compendium's code) -- the Compendium's activity
    ('mountain-biking-general',              '01019', '01009'), -- bicycling, mountain, general
    ('mountain-biking-uphill-vigorous',      '01009', '01003'), -- bicycling, mountain, uphill, vigorous
    ('swimming-freestyle-fast',              '18200', '18230'), -- swimming laps, freestyle, fast
    ('swimming-freestyle-light-or-moderate', '18210', '18240'), -- swimming laps, freestyle, slow, light or moderate
    ('swimming-backstroke-training',         '18220', '18250'), -- backstroke, training or competition
    ('swimming-backstroke-recreational',     '18225', '18255'), -- backstroke, recreational
    ('swimming-breaststroke-training',       '18230', '18260'), -- breaststroke, training or competition
    ('swimming-breaststroke-recreational',   '18235', '18265'), -- breaststroke, recreational
    ('swimming-butterfly',                   '18240', '18270'), -- butterfly
    ('swimming-in-open-water',               '18260', '18300'), -- lake, ocean, river
    ('swimming-leisurely',                   '18265', '18310'), -- leisurely, not lap swimming
    ('treading-water-fast',                  '18290', '18340'), -- treading water, fast
    ('treading-water-moderate',              '18300', '18350'), -- treading water, moderate
    ('cross-country-skiing-moderate',        '19170', '19090'), -- skiing, cross country, moderate
    ('downhill-skiing-moderate',             '19202', '19160'), -- skiing, downhill, moderate
    ('snowshoeing-moderate',                 '19252', '19190'), -- snow shoeing, moderate
    ('volleyball-competitive-indoor',        '15710', '15711'), -- volleyball, competitive, in gymnasium
    ('volleyball-recreational',              '15711', '15720'), -- volleyball, non-competitive
    ('racquetball',                          '15535', '15530'), -- racquetball, general
    ('flag-or-touch-football',               '15232', '15230'), -- football, touch, flag, general
    ('rock-climbing-high-difficulty',        '15540', '15535'), -- rock climbing, high difficulty
    ('rock-climbing-moderate-difficulty',    '15542', '15537'), -- rock climbing, low-to-moderate difficulty
    ('lacrosse',                             '15465', '15460'), -- lacrosse
    ('fencing',                              '15210', '15200')  -- fencing
) AS f(source_id, wrong_code, right_code)
WHERE e.user_id IS NULL AND e.source = 'sparky'
  AND e.source_id = f.source_id AND e.compendium_code = f.wrong_code;

ALTER TABLE exercises FORCE ROW LEVEL SECURITY;
