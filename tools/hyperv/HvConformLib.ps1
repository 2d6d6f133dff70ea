# Helpers of Run-HvConform.ps1 (dot-sourced by it): no side effects when loaded.

function Say([string]$Text) { Write-Host "hvconform: $Text" }
function Warn([string]$Text) { Write-Host "hvconform: warning: $Text" -ForegroundColor Yellow }
function Stop-Setup([string]$Text) {
    Write-Host "hvconform: error: $Text" -ForegroundColor Red
    exit 3
}

# Printable form of a serial line for the console (the log keeps the raw line).
function Get-Printable([string]$Line) {
    return (($Line -replace $AnsiRe, '') -replace '[\x00-\x08\x0a-\x1f\x7f]', '')
}

# The VM's state as a string, or $null when Hyper-V doesn't answer (never throws:
# a hiccup of Get-VM must not end a capture).
function Get-VMState($Vm) {
    try { return [string](Hyper-V\Get-VM -Id $Vm.Id -ErrorAction Stop).State } catch { return $null }
}

# Python 3.9+ as a command array (@('py', '-3') or @('C:\...\python.exe')), or $null.
# The Microsoft Store's python.exe stub exits non-zero and is skipped.
function Find-Python {
    $ErrorActionPreference = 'Continue'   # a native program's stderr must not throw here
    foreach ($cand in @(@('py', '-3'), @('python3'), @('python'))) {
        $cmd = Get-Command $cand[0] -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        if (-not $cmd) { continue }
        $exe = $cmd.Path
        $pre = @($cand | Select-Object -Skip 1)
        try {
            $out = & $exe @pre -c 'import sys; print(sys.version_info[0] * 100 + sys.version_info[1])' 2>$null
        } catch { continue }
        if ($LASTEXITCODE -ne 0) { continue }
        $v = 0
        if ([int]::TryParse((@($out) -join '').Trim(), [ref]$v) -and $v -ge 309 -and $v -lt 400) {
            return , (@($exe) + $pre)    # the comma keeps a one-element array an array
        }
    }
    return $null
}

# The verdict without Python: any 'not ok' or 'Bail out!' line, or no end
# marker, fails; 2 = not a TAP log. Prints what it found (Say: the caller's).
function Get-PlainVerdict([string]$LogPath, [bool]$TapSeen, [bool]$EndSeen) {
    Say 'for the full report run on any machine with Python: tools/check-log [--profile FILE] LOG'
    $lines = @(Get-Content -LiteralPath $LogPath -Encoding UTF8 -ErrorAction SilentlyContinue)
    $bad = @($lines | Where-Object { $_ -match '^(not ok\b|Bail out!)' })
    foreach ($l in $bad) { Write-Host "    $(Get-Printable $l)" }
    if (-not $TapSeen) { Say 'not a TAP log'; return 2 }
    if ($bad.Count -gt 0) { Say "$($bad.Count) 'not ok' / 'Bail out!' line(s)"; return 1 }
    if (-not $EndSeen) { Say 'the log has no end marker: the VM died during the run'; return 1 }
    Say "no 'not ok' or 'Bail out!' lines and the end marker is there"
    return 0
}
