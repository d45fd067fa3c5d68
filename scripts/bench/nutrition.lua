-- wrk script for scripts/bench-nutrition.
--
--   wrk ... -s nutrition.lua URL -- MODE CONFIG_FILE [QUERY]
--
-- MODE:  diary-get  GET /api/v1/diary/{random date}
--        diary-post POST /api/v1/diary, a random food, meal and date
--        search     GET /api/v1/foods?q=QUERY (QUERY already URL-encoded)
--        summary    GET /api/v1/summary?from=FIRST&to=LAST (every date in the config: a year)
--        day        GET /api/v1/summary/{random date} (the day summary behind Today)
-- CONFIG_FILE has one "key value" pair a line:
--        cookie <sparky_session value>   (one or more; rotated at random per request)
--        date   <YYYY-MM-DD>             (one or more)
--        food   <food_items.id>          (diary-post)
--        origin <http://127.0.0.1:PORT>  (diary-post: cookie writes need a same-origin Origin)

local counter = 0

function setup(thread)
    counter = counter + 1
    thread:set("tid", counter)
end

local mode, cookies, dates, foods, origin, query
local meals = { "breakfast", "lunch", "dinner", "snack" }

function init(args)
    mode = args[1]
    cookies, dates, foods = {}, {}, {}
    local f = assert(io.open(args[2], "r"), "cannot open the config file " .. tostring(args[2]))
    for line in f:lines() do
        local k, v = line:match("^(%S+)%s+(%S+)$")
        if k == "cookie" then cookies[#cookies + 1] = "sparky_session=" .. v
        elseif k == "date" then dates[#dates + 1] = v
        elseif k == "food" then foods[#foods + 1] = v
        elseif k == "origin" then origin = v
        end
    end
    f:close()
    query = args[3]
    assert(#cookies > 0, "no cookies in the config file")
    if mode == "diary-get" or mode == "diary-post" or mode == "day" then assert(#dates > 0, "no dates") end
    if mode == "diary-post" then assert(#foods > 0 and origin, "diary-post needs foods and origin") end
    if mode == "search" then assert(query and #query > 0, "search needs a query") end
    if mode == "summary" then
        assert(#dates > 0, "summary needs dates")
        table.sort(dates)
    end
    math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

function request()
    local cookie = cookies[math.random(#cookies)]
    if mode == "diary-get" then
        return wrk.format("GET", "/api/v1/diary/" .. dates[math.random(#dates)], { ["Cookie"] = cookie })
    elseif mode == "diary-post" then
        local body = string.format(
            '{"food_item_id":"%s","quantity":%d,"unit":"g","meal_type":"%s","date":"%s"}',
            foods[math.random(#foods)], math.random(20, 300), meals[math.random(#meals)],
            dates[math.random(#dates)])
        return wrk.format("POST", "/api/v1/diary", {
            ["Cookie"] = cookie,
            ["Origin"] = origin,
            ["Content-Type"] = "application/json",
        }, body)
    elseif mode == "day" then
        return wrk.format("GET", "/api/v1/summary/" .. dates[math.random(#dates)], { ["Cookie"] = cookie })
    elseif mode == "search" then
        return wrk.format("GET", "/api/v1/foods?q=" .. query, { ["Cookie"] = cookie })
    elseif mode == "summary" then
        return wrk.format("GET", "/api/v1/summary?from=" .. dates[1] .. "&to=" .. dates[#dates],
            { ["Cookie"] = cookie })
    else
        error("unknown mode " .. tostring(mode))
    end
end
