#Requires -Version 5.1
<#
.SYNOPSIS
    Boots build/hvconform.iso in a throw-away Hyper-V VM, captures COM1 (TAP) to a
    log, removes the VM and checks the log.

.DESCRIPTION
    Creates a Generation 1 (BIOS) or 2 (UEFI, Secure Boot off) VM without a disk,
    with the ISO in its DVD drive and COM1 on a named pipe, starts it, copies the
    serial output line by line to the log file and the console until the line
    '# hvconform: end' or -TimeoutSeconds; after the end marker it waits up to
    20 s for the kernel to power the VM off (ACPI S5) and says whether it did.
    Then it turns the VM off if needed and removes it
    (in a finally block, so also after an error or Ctrl+C) unless -KeepVM.
    Then runs `python tools/check-log [--profile FILE] LOG` when Python 3.9+ is
    found; without Python the verdict is a plain scan of the log (see below).

    Must run elevated (Administrator): it creates, starts and removes VMs.
    See tools/hyperv/README.md.

.PARAMETER IsoPath
    The hvconform ISO (`make iso` on Linux). Default: ..\..\build\hvconform.iso
    beside this script. Put it on a local disk: Hyper-V's VM service can't read
    mapped network drives.
.PARAMETER Generation
    1 (BIOS; DVD on IDE 1:0) or 2 (UEFI; DVD on SCSI, first boot device, Secure
    Boot off). Default 2.
.PARAMETER MemoryMB
    Static memory in MB (even: Hyper-V assigns memory in 2 MB steps). Default 512.
.PARAMETER ProcessorCount
    Virtual processors. Default 1.
.PARAMETER TimeoutSeconds
    Limit from Start-VM to the end marker, pipe connection included. Default 300.
.PARAMETER LogPath
    Where the serial log goes. Default: .\<VMName>.log in the current directory.
.PARAMETER VMName
    Name of the VM to create; must not exist. Default hvconform-<timestamp>-<pid>.
.PARAMETER KeepVM
    Leave the VM (still running) for inspection with vmconnect instead of removing it.
.PARAMETER CheckerPath
    tools/check-log. Default: ..\check-log beside this script.
.PARAMETER ProfilePath
    -Profile: known-deviation profile for the checker (a file, or a name such
    as hyperv-gen2 for profiles\hyperv-gen2.txt). Needs Python.

.EXAMPLE
    powershell -ExecutionPolicy Bypass -File tools\hyperv\Run-HvConform.ps1 -Generation 2 -LogPath gen2.log

.NOTES
    Exit status: 0 the checker (or the plain scan) found nothing unexpected;
    1 failures ('not ok' not excused by the profile, 'Bail out!', or the VM died
    before the end marker); 2 the checker's 'bad input' (e.g. no 'TAP version
    13'); 3 setup failed (not elevated, no Hyper-V, ISO or profile not found,
    VM creation or start failed, no COM1 pipe); 124 no end marker within
    -TimeoutSeconds (the log is still checked; its DIED line names the test).
    A value PowerShell's parameter validation rejects ends before the script runs.
#>
[CmdletBinding()]
param(
    [string]$IsoPath,
    [ValidateRange(1, 2)][int]$Generation = 2,
    [ValidateRange(32, 1048576)][int]$MemoryMB = 512,
    [ValidateRange(1, 1024)][int]$ProcessorCount = 1,
    [ValidateRange(10, 86400)][int]$TimeoutSeconds = 300,
    [string]$LogPath,
    [ValidatePattern('^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$')][string]$VMName,
    [switch]$KeepVM,
    [string]$CheckerPath,
    # Named ProfilePath inside the script so PowerShell's own $PROFILE is not shadowed.
    [Alias('Profile')][string]$ProfilePath
)

$ErrorActionPreference = 'Stop'

$EndMarker = '# hvconform: end'
$TapVersion = 'TAP version 13'
$ConnectLimitSeconds = 60        # the pipe exists as soon as the VM runs; this is generous
$StateCheckSeconds = 2           # how often the read loop asks Hyper-V whether the VM still runs
$TailLines = 20                  # lines shown on a timeout or death
$PowerOffSeconds = 20            # after the end marker the kernel powers the VM off (ACPI S5)
# ANSI escape sequences as tools/check-log strips them (GRUB draws with them)
$AnsiRe = '\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_c])'

# Say, Warn, Stop-Setup, Get-Printable, Get-VMState, Find-Python, Get-PlainVerdict
. (Join-Path $PSScriptRoot 'HvConformLib.ps1')

# ---------------------------------------------------------------- preconditions

if ([System.Environment]::OSVersion.Platform -ne [System.PlatformID]::Win32NT) {
    Stop-Setup 'this script drives Hyper-V and runs on a Windows host only'
}
$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    Stop-Setup 'must run elevated: start PowerShell with "Run as administrator" (it creates, starts and removes a VM)'
}
if (-not (Get-Module -ListAvailable -Name Hyper-V)) {
    Stop-Setup 'the Hyper-V PowerShell module is not installed (Windows feature Microsoft-Hyper-V-Management-PowerShell)'
}
try { Import-Module Hyper-V -ErrorAction Stop } catch { Stop-Setup "cannot load the Hyper-V module: $($_.Exception.Message)" }
if ($PSVersionTable.PSEdition -eq 'Core' -and (Get-Module Hyper-V).ModuleType -ne 'Binary') {
    # loaded through Windows PowerShell compatibility: VM objects arrive deserialized
    Warn 'PowerShell 7 loaded Hyper-V through Windows PowerShell compatibility; if a cmdlet rejects a VM object, run this with powershell.exe (5.1)'
}

$here = $PSScriptRoot
if (-not $IsoPath) { $IsoPath = Join-Path $here '..\..\build\hvconform.iso' }
if (-not $CheckerPath) { $CheckerPath = Join-Path $here '..\check-log' }
if (-not $VMName) { $VMName = 'hvconform-{0}-{1}' -f (Get-Date -Format 'yyyyMMdd-HHmmss'), $PID }
if (-not $LogPath) { $LogPath = "$VMName.log" }

if (-not (Test-Path -LiteralPath $IsoPath -PathType Leaf)) {
    Stop-Setup "ISO not found: $IsoPath (build it on Linux with 'make iso', copy build/hvconform.iso here, pass -IsoPath)"
}
$IsoPath = (Resolve-Path -LiteralPath $IsoPath).ProviderPath
if ($IsoPath.StartsWith('\\')) { Warn "the ISO is on a network path; if Hyper-V can't open it, copy it to a local disk" }
if (($MemoryMB % 2) -ne 0) {
    Stop-Setup "-MemoryMB $MemoryMB : Hyper-V assigns memory in 2 MB steps; give an even number"
}
# .NET resolves relative paths against the process directory, not PowerShell's location
$LogPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($LogPath)
$logDir = Split-Path -Parent $LogPath
if ($logDir -and -not (Test-Path -LiteralPath $logDir)) { New-Item -ItemType Directory -Path $logDir | Out-Null }

if ($ProfilePath -and -not (Test-Path -LiteralPath $ProfilePath -PathType Leaf)) {
    $named = Join-Path $here "..\..\profiles\$ProfilePath.txt"
    if (Test-Path -LiteralPath $named -PathType Leaf) { $ProfilePath = $named }
    else { Stop-Setup "profile not found: $ProfilePath (a file, or a name under profiles\ without .txt)" }
}
if ($ProfilePath) { $ProfilePath = (Resolve-Path -LiteralPath $ProfilePath).ProviderPath }

if (Hyper-V\Get-VM -Name $VMName -ErrorAction SilentlyContinue) {
    Stop-Setup "a VM named $VMName exists already; choose another -VMName (this script removes only VMs it created)"
}

$os = [System.Environment]::OSVersion.Version
Say "host: Windows $($os.Major).$($os.Minor).$($os.Build); VM ${VMName}: Generation $Generation, $MemoryMB MB, $ProcessorCount VP(s); ISO $IsoPath"

# ---------------------------------------------------------------- run

$memoryBytes = [int64]$MemoryMB * 1mb
$vm = $null
$client = $null
$cts = $null
$writer = $null
$setupError = $null
$tail = New-Object System.Collections.Generic.Queue[string]
$endSeen = $false
$tapSeen = $false
$timedOut = $false
$stopReason = $null
$linesSeen = 0
$poweredOff = $false; $afterEnd = $null; $offDeadline = $null   # after the end marker: stopped by itself / what instead

try {
    # Hyper-V\ prefix: VMware PowerCLI has cmdlets with the same names.
    if ($Generation -eq 1) {
        $vm = Hyper-V\New-VM -Name $VMName -Generation 1 -MemoryStartupBytes $memoryBytes -NoVHD -BootDevice CD
    } else {
        $vm = Hyper-V\New-VM -Name $VMName -Generation 2 -MemoryStartupBytes $memoryBytes -NoVHD
    }
    Say "created VM $VMName (Id $($vm.Id))"

    Hyper-V\Set-VMMemory -VM $vm -DynamicMemoryEnabled $false -StartupBytes $memoryBytes
    Hyper-V\Set-VMProcessor -VM $vm -Count $ProcessorCount

    # No checkpoints: a test VM has nothing to roll back, and an automatic
    # checkpoint at start would only slow the removal. Not on every Hyper-V.
    $setVm = (Get-Command -Name Set-VM -Module Hyper-V).Parameters
    try {
        if ($setVm.ContainsKey('CheckpointType')) { Hyper-V\Set-VM -VM $vm -CheckpointType Disabled }
        if ($setVm.ContainsKey('AutomaticCheckpointsEnabled')) { Hyper-V\Set-VM -VM $vm -AutomaticCheckpointsEnabled $false }
    } catch { Warn "could not disable checkpoints: $($_.Exception.Message)" }

    if ($Generation -eq 1) {
        # Gen1: the ISO goes in the IDE DVD drive (New-VM -BootDevice CD puts it
        # first in the BIOS startup order).
        $dvd = Hyper-V\Get-VMDvdDrive -VM $vm | Select-Object -First 1
        if ($dvd) { Hyper-V\Set-VMDvdDrive -VMDvdDrive $dvd -Path $IsoPath }
        else { Hyper-V\Add-VMDvdDrive -VM $vm -ControllerNumber 1 -ControllerLocation 0 -Path $IsoPath }
    } else {
        # Gen2: a SCSI DVD drive, first in the UEFI boot order. Secure Boot off:
        # grub-mkrescue's GRUB is not signed for the Microsoft UEFI CA.
        if (-not (Hyper-V\Get-VMScsiController -VM $vm)) { Hyper-V\Add-VMScsiController -VM $vm }
        $dvd = Hyper-V\Add-VMDvdDrive -VM $vm -Path $IsoPath -Passthru
        Hyper-V\Set-VMFirmware -VM $vm -EnableSecureBoot Off -FirstBootDevice $dvd
    }

    # COM1 -> named pipe; Hyper-V is the pipe server, we are the client. On Gen2
    # the port exists only when a pipe is set before boot, and only PowerShell
    # can set it (Hyper-V Manager shows no COM ports for Gen2).
    $pipeName = "hvconform-com1-$($vm.Id)"
    Hyper-V\Set-VMComPort -VM $vm -Number 1 -Path "\\.\pipe\$pipeName"
    Say "COM1 -> \\.\pipe\$pipeName"

    $writer = New-Object System.IO.StreamWriter($LogPath, $false, (New-Object System.Text.UTF8Encoding($false)))
    $writer.AutoFlush = $true
    $writer.NewLine = "`n"

    # Connect while the VM starts: output written before a client connects is
    # lost, so the connection attempt is already running when Start-VM is called.
    $client = New-Object System.IO.Pipes.NamedPipeClientStream('.', $pipeName,
        [System.IO.Pipes.PipeDirection]::InOut, [System.IO.Pipes.PipeOptions]::Asynchronous)
    $connectMs = [int]([Math]::Min($ConnectLimitSeconds, $TimeoutSeconds) * 1000)
    $cts = New-Object System.Threading.CancellationTokenSource
    $connectTask = $null
    if ($client.GetType().GetMethod('ConnectAsync', [type[]]@([int], [System.Threading.CancellationToken]))) {
        $connectTask = $client.ConnectAsync($connectMs, $cts.Token)
    }

    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    Hyper-V\Start-VM -VM $vm
    Say "VM started; waiting for the COM1 pipe (at most $([int]($connectMs / 1000)) s)"

    $connectEnd = [DateTime]::UtcNow.AddMilliseconds($connectMs)
    $connected = $false
    $connectError = 'the pipe did not appear'
    while (-not $connected -and [DateTime]::UtcNow -lt $connectEnd) {
        if ($connectTask) {
            try { [void]$connectTask.Wait(200) } catch { }
            if ($connectTask.IsCompleted) {
                if ($connectTask.Status -eq [System.Threading.Tasks.TaskStatus]::RanToCompletion) { $connected = $true }
                else {
                    if ($connectTask.Exception) { $connectError = $connectTask.Exception.InnerException.Message }
                    break
                }
            }
        } else {
            # no ConnectAsync (older .NET): short synchronous attempts
            try { $client.Connect(200); $connected = $true }
            catch [System.TimeoutException] { }
            catch { $connectError = $_.Exception.Message; Start-Sleep -Milliseconds 200 }
        }
        if (-not $connected -and (Get-VMState $vm) -eq 'Off') { $connectError = 'the VM turned off'; break }
    }
    if (-not $connected) {
        throw "could not connect to \\.\pipe\$pipeName : $connectError"
    }
    Say "connected; log: $LogPath"

    # Read until the end marker, a reboot, the pipe closing, or the deadline.
    # Every wait is bounded; the pending read is abandoned with the pipe.
    $buf = New-Object byte[] 4096
    $chars = New-Object char[] 8192
    $decoder = (New-Object System.Text.UTF8Encoding($false)).GetDecoder()
    $pending = New-Object System.Text.StringBuilder
    $readTask = $null
    $nextStateCheck = [DateTime]::UtcNow.AddSeconds($StateCheckSeconds)
    # After the end marker: read on (the power-off line) until the VM stops itself, <= $PowerOffSeconds.
    while (-not $stopReason -and -not $poweredOff -and -not $afterEnd) {
        $now = [DateTime]::UtcNow
        $limit = if ($endSeen) { $offDeadline } else { $deadline }
        if ($now -ge $limit) {
            if ($endSeen) { $afterEnd = "still running $PowerOffSeconds s after the end marker" } else { $timedOut = $true }
            break
        }
        if ($null -eq $readTask) { $readTask = $client.ReadAsync($buf, 0, $buf.Length) }
        $waitMs = [int][Math]::Max(1, [Math]::Min(500, ($limit - $now).TotalMilliseconds))
        try { [void]$readTask.Wait($waitMs) } catch { }
        if (-not $readTask.IsCompleted) {
            if ([DateTime]::UtcNow -ge $nextStateCheck) {
                $nextStateCheck = [DateTime]::UtcNow.AddSeconds($StateCheckSeconds)
                $state = Get-VMState $vm
                if ($state -and $state -ne 'Running') {
                    if ($endSeen) { $poweredOff = $true } else { $stopReason = "the VM is $state before the end marker" }
                }
            }
            continue
        }
        if ($readTask.Status -ne [System.Threading.Tasks.TaskStatus]::RanToCompletion) {
            $msg = if ($readTask.Exception) { $readTask.Exception.InnerException.Message } else { 'cancelled' }
            if ($endSeen) { $poweredOff = $true } else { $stopReason = "reading the pipe failed: $msg" }
            break
        }
        $n = $readTask.Result
        $readTask = $null
        if ($n -le 0) {
            if ($endSeen) { $poweredOff = $true } else { $stopReason = 'the pipe closed (the VM stopped) before the end marker' }
            break
        }

        $nc = $decoder.GetChars($buf, 0, $n, $chars, 0)
        [void]$pending.Append($chars, 0, $nc)
        $text = $pending.ToString()
        $cut = $text.LastIndexOf("`n")
        if ($cut -lt 0) { continue }
        [void]$pending.Clear()
        [void]$pending.Append($text.Substring($cut + 1))
        foreach ($raw in $text.Substring(0, $cut).Split("`n")) {
            $line = $raw.TrimEnd("`r")
            $plain = ($line -replace $AnsiRe, '').TrimEnd()
            if ($plain.EndsWith($TapVersion)) {
                if ($endSeen) { $afterEnd = 'it restarted after the end marker instead of powering off'; break }
                if ($tapSeen) {
                    # Hyper-V resets a VM after a triple fault; GRUB then boots the
                    # suite again. Keep one boot per log, as tools/check-log wants.
                    $stopReason = "the VM restarted (a second '$TapVersion'; Hyper-V resets a VM after a triple fault)"
                    break
                }
                $tapSeen = $true
            }
            $writer.WriteLine($line)
            $linesSeen++
            $shown = Get-Printable $line
            Write-Host $shown
            $tail.Enqueue($shown)
            if ($tail.Count -gt $TailLines) { [void]$tail.Dequeue() }
            if ($line.TrimEnd() -eq $EndMarker -and -not $endSeen) {
                $endSeen = $true
                $offDeadline = [DateTime]::UtcNow.AddSeconds($PowerOffSeconds)
            }
        }
    }
    if (-not $endSeen -and $pending.Length -gt 0) {
        # an unfinished last line is evidence too
        $writer.WriteLine($pending.ToString())
        $tail.Enqueue((Get-Printable $pending.ToString()))
        if ($tail.Count -gt $TailLines) { [void]$tail.Dequeue() }
    }
} catch {
    $setupError = $_.Exception.Message
} finally {
    if ($cts) { $cts.Cancel() }
    if ($client) { $client.Dispose() }
    if ($writer) { $writer.Dispose() }
    if ($vm) {
        if ($KeepVM) {
            Say "kept VM $VMName (-KeepVM); remove it with: Stop-VM -Name '$VMName' -TurnOff -Force; Remove-VM -Name '$VMName' -Force"
        } else {
            try {
                $cur = Hyper-V\Get-VM -Id $vm.Id -ErrorAction SilentlyContinue
                if ($cur -and $cur.State -ne 'Off') { Hyper-V\Stop-VM -VM $cur -TurnOff -Force }
                if ($cur) { Hyper-V\Remove-VM -VM $cur -Force }
                Say "removed VM $VMName"
            } catch {
                Warn "could not remove VM $VMName ($($_.Exception.Message)); remove it by hand"
            }
        }
    }
}

if ($setupError) {
    Write-Host "hvconform: error: $setupError" -ForegroundColor Red
    if ($linesSeen -gt 0) { Say "the log so far is in $LogPath" }
    exit 3
}

# ---------------------------------------------------------------- verdict

if ($poweredOff) { Say 'the VM powered itself off after the end marker (ACPI S5): a normal end' }
elseif ($afterEnd) {
    Warn ("the end marker came, but the VM did not power itself off ($afterEnd): the kernel's ACPI S5 power-off " +
          "failed (its 'hvconform: no ACPI power-off:' line in the log says why); the script turned the VM off. The results stand.")
}
if ($timedOut -or $stopReason) {
    if ($linesSeen -eq 0) {
        $what = ("NO SERIAL OUTPUT at all: the COM1 pipe stayed silent. Likely: the VM never ran the ISO's GRUB " +
                 "(Gen2: Secure Boot must be off and the DVD first in the boot order; the ISO on a local disk) or COM1 " +
                 "is not the pipe. Rerun with -KeepVM and look at the console: vmconnect localhost $VMName")
    } elseif (-not $tapSeen) {
        $what = "NO TAP: COM1 carried output (firmware/GRUB) but the test kernel never started; see the lines below"
    } elseif ($timedOut) {
        $what = ("HUNG: no '$EndMarker' within $TimeoutSeconds s although the kernel started; the checker's DIED line " +
                 "names the test that was running")
    } else {
        $what = ("DIED: $stopReason; the kernel stopped mid-run (a triple fault resets the VM); the checker's DIED " +
                 "line names the test that was running")
    }
    Write-Host "hvconform: $what" -ForegroundColor Red
    if ($tail.Count -gt 0) {
        Say "last $($tail.Count) line(s) of serial output:"
        foreach ($l in $tail) { Write-Host "    $l" }
    }
}
if (-not $tapSeen) { Warn "no '$TapVersion' line in the log: the test kernel did not start (or its output was lost)" }

$verdict = 0
$py = Find-Python
if ($py -and (Test-Path -LiteralPath $CheckerPath -PathType Leaf)) {
    $checkArgs = @()
    if ($py.Count -gt 1) { $checkArgs += $py[1..($py.Count - 1)] }
    $checkArgs += (Resolve-Path -LiteralPath $CheckerPath).ProviderPath
    if ($ProfilePath) { $checkArgs += @('--profile', $ProfilePath) }
    $checkArgs += $LogPath
    $pyExe = $py[0]
    Say "checking: $pyExe $($checkArgs -join ' ')"
    & $pyExe @checkArgs | Out-Host
    $verdict = $LASTEXITCODE
} else {
    if (-not $py) { Warn 'Python 3.9+ not found (py -3, python3, python): verdict by a plain scan of the log' }
    else { Warn "checker not found at ${CheckerPath}: verdict by a plain scan of the log" }
    if ($ProfilePath) { Warn "the profile $ProfilePath is NOT applied by the plain scan" }
    $verdict = Get-PlainVerdict $LogPath $tapSeen $endSeen
}

if ($timedOut) {
    Say "exit 124 (timeout; the checker's status was $verdict)"
    exit 124
}
Say "exit $verdict"
exit $verdict
