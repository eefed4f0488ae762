-- list_vms_all.lua: GET /api/vms?limit=1000, the whole 1,000-VM fleet in one
-- answer, as the baseline always sends it. Uses the kit's common.lua, found
-- through BENCH_KIT_WRK (bench/run.py sets it). FLEET_TOKEN optional.
local kit = os.getenv("BENCH_KIT_WRK") or "../shared/bench/wrk"
dofile(kit .. "/common.lua")
wrk.method = "GET"
wrk.path = "/api/vms?limit=" .. (os.getenv("LIST_LIMIT") or "1000")
wrk.headers = common.headers()
done = common.done("list_vms_1000")
