-- Neovim (0.7+) end-to-end check of `ruleforge lsp`, run headless by tests/nvim/run.sh:
--   nvim --headless -u NONE -i NONE -n -c "luafile tests/nvim/diagnostics.lua"
-- Environment:
--   RULEFORGE_BIN            the ruleforge binary (started as `$RULEFORGE_BIN lsp`)
--   RULEFORGE_NVIM_ROOT      the workspace root (holds ruleforge.toml)
--   RULEFORGE_NVIM_FILE      the rule to open, inside the root
--   RULEFORGE_NVIM_CODE      a diagnostic code the server must publish for it
--   RULEFORGE_NVIM_LINE      ... on this 1-based line
--   RULEFORGE_NVIM_EXPECTED  what `ruleforge fmt` writes for the file: textDocument/formatting
--                            edits applied to the buffer must give exactly this
-- Exits 0 when every check passes; otherwise prints why to stderr and exits 1.
-- Uses only what Neovim 0.7 has (vim.lsp.start_client + buf_attach_client; vim.lsp.start is 0.8+).

local TIMEOUT_MS = 20000

local function say(msg)
  io.stderr:write("nvim: " .. msg .. "\n")
end

local function fail(msg)
  say("FAIL: " .. msg)
  io.stderr:flush()
  vim.cmd("cquit 1")
end

local function env(name)
  local value = os.getenv(name)
  if value == nil or value == "" then
    error(name .. " is not set (tests/nvim/run.sh sets it)", 0)
  end
  return value
end

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then
    error("cannot read " .. path .. ": " .. tostring(err), 0)
  end
  local text = f:read("*a")
  f:close()
  return text
end

local function main()
  local bin = env("RULEFORGE_BIN")
  local root = env("RULEFORGE_NVIM_ROOT")
  local file = env("RULEFORGE_NVIM_FILE")
  local want_code = env("RULEFORGE_NVIM_CODE")
  local want_line = tonumber(env("RULEFORGE_NVIM_LINE"))
  local expected = read_file(env("RULEFORGE_NVIM_EXPECTED"))

  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()

  local exit_code
  local client_id = vim.lsp.start_client({
    name = "ruleforge",
    cmd = { bin, "lsp" },
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = "rules" } },
    on_exit = function(code, signal)
      exit_code = { code = code, signal = signal }
    end,
  })
  if not client_id then
    return fail("vim.lsp.start_client could not start " .. bin .. " lsp")
  end
  if not vim.lsp.buf_attach_client(buf, client_id) then
    return fail("vim.lsp.buf_attach_client failed")
  end

  -- Diagnostics, pushed by the server after didOpen.
  local got = vim.wait(TIMEOUT_MS, function()
    return #vim.diagnostic.get(buf) > 0 or exit_code ~= nil
  end, 50)
  if exit_code ~= nil then
    return fail(string.format("the server exited early (code %s, signal %s)", exit_code.code, exit_code.signal))
  end
  if not got then
    return fail(string.format("no diagnostics for %s within %d ms", file, TIMEOUT_MS))
  end
  local diagnostics = vim.diagnostic.get(buf)
  local seen = {}
  local found = false
  for _, d in ipairs(diagnostics) do
    table.insert(seen, string.format("%s@%d:%d", tostring(d.code), d.lnum + 1, d.col + 1))
    if tostring(d.code) == want_code and d.lnum + 1 == want_line then
      found = true
    end
  end
  if not found then
    return fail(string.format("expected %s on line %d, got: %s", want_code, want_line, table.concat(seen, ", ")))
  end
  say("diagnostics: " .. table.concat(seen, ", "))

  -- Formatting: the edits, applied to the buffer, give what `ruleforge fmt` writes.
  local client = vim.lsp.get_client_by_id(client_id)
  local responses, err = vim.lsp.buf_request_sync(buf, "textDocument/formatting", {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    options = { tabSize = 2, insertSpaces = true },
  }, TIMEOUT_MS)
  if not responses then
    return fail("textDocument/formatting: " .. tostring(err))
  end
  local response = responses[client_id]
  if not response then
    return fail("textDocument/formatting: no response from the server")
  end
  if response.err or response.error then
    return fail("textDocument/formatting returned an error: " .. vim.inspect(response.err or response.error))
  end
  local edits = response.result
  if type(edits) ~= "table" or #edits == 0 then
    return fail("textDocument/formatting returned no edits for a file that `ruleforge fmt` changes")
  end
  vim.lsp.util.apply_text_edits(edits, buf, client.offset_encoding)
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local text = table.concat(lines, "\n")
  if vim.api.nvim_buf_get_option(buf, "eol") then
    text = text .. "\n"
  end
  if text ~= expected then
    return fail("the formatted buffer differs from `ruleforge fmt`:\n--- buffer\n" .. text .. "--- fmt\n" .. expected)
  end
  say(string.format("formatting: %d edit(s), buffer equals `ruleforge fmt` output", #edits))

  -- shutdown then exit: the server ends with 0.
  vim.lsp.stop_client(client_id)
  if not vim.wait(TIMEOUT_MS, function()
    return exit_code ~= nil
  end, 50) then
    return fail("the server did not exit within " .. TIMEOUT_MS .. " ms of shutdown")
  end
  if exit_code.code ~= 0 then
    return fail(string.format("the server exited with %s (signal %s) after shutdown", exit_code.code, exit_code.signal))
  end
  say("shutdown: server exited 0")
  say("ok")
  io.stderr:flush()
  vim.cmd("qall!")
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  fail(tostring(err))
end
