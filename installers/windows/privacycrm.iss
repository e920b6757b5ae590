; Inno Setup 6 script (6.3 or newer; UTF-8 with BOM) for PrivacyCRM Desktop on Windows (x64).
;
; Build on Windows, from the checkout (see installers/README.md):
;   1. py -3.11 -m venv .venv && .venv\Scripts\pip install -e .[dist]
;   2. .venv\Scripts\pyinstaller --noconfirm --distpath dist --workpath build\pyinstaller installers\privacycrm.spec
;   3. dist\privacycrm\privacycrm-cli.exe self-test   (prints one line; no window) and
;      start /wait dist\privacycrm\privacycrm.exe --self-test && echo self-test passed
;      (the app has no console: its exit code tells, 0 = passed)
;   4. "%ProgramFiles(x86)%\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 installers\windows\privacycrm.iss
; The installer is written to dist\privacycrm-<version>-windows-x64-setup.exe. Sign both the
; executables in dist\privacycrm and the installer with signtool before shipping
; (SignTool=... below, once a code-signing certificate is configured in the IDE or ISCC).
;
; By default it installs for the current user only (no administrator rights, into
; %LOCALAPPDATA%\Programs\PrivacyCRM); the first page offers an install for all users.
; Uninstalling never removes the user's data (%LOCALAPPDATA%\PrivacyCRM: the database and
; backups) -- the uninstaller says so.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "PrivacyCRM"
#define AppExe "privacycrm.exe"
#define CliExe "privacycrm-cli.exe"
#define BundleDir "..\..\dist\privacycrm"

[Setup]
; Never change AppId: Windows recognises upgrades and the uninstaller by it.
AppId={{6C3E52B7-8F4A-4D5E-9B1C-2A7D9E4F1B30}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=PrivacyCRM
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename=privacycrm-{#AppVersion}-windows-x64-setup
SetupIconFile=privacycrm.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesEnvironment=yes
CloseApplications=yes
ShowLanguageDialog=auto
; SignTool=signtool sign /fd sha256 /tr http://timestamp.example /td sha256 $f

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
Name: "nl"; MessagesFile: "compiler:Languages\Dutch.isl"
Name: "fr"; MessagesFile: "compiler:Languages\French.isl"

[CustomMessages]
en.AddToPath=Add privacycrm-cli to the PATH (for scripts and the command prompt)
nl.AddToPath=privacycrm-cli aan het PATH toevoegen (voor scripts en de opdrachtprompt)
fr.AddToPath=Ajouter privacycrm-cli au PATH (pour les scripts et l'invite de commandes)
en.DataKept=Your contacts and backups in %1 were not removed.
nl.DataKept=Uw contacten en back-ups in %1 zijn niet verwijderd.
fr.DataKept=Vos contacts et sauvegardes dans %1 n'ont pas été supprimés.

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "{cm:AddToPath}"; Flags: unchecked

[InstallDelete]
; An upgrade replaces the whole bundle: no library of an older version may stay behind.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\{#AppExe}"; DestDir: "{app}"; Flags: ignoreversion
Source: "{#BundleDir}\{#CliExe}"; DestDir: "{app}"; Flags: ignoreversion
Source: "{#BundleDir}\_internal\*"; DestDir: "{app}\_internal"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
// The PATH of the user (per-user install) or of the machine (all users), in the registry.
function PathRoot: Integer;
begin
  if IsAdminInstallMode then
    Result := HKEY_LOCAL_MACHINE
  else
    Result := HKEY_CURRENT_USER;
end;

function PathKey: String;
begin
  if IsAdminInstallMode then
    Result := 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment'
  else
    Result := 'Environment';
end;

// True when Dir is one of the ;-separated entries of Path (case-insensitive).
function PathHasDir(Path, Dir: String): Boolean;
begin
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Path) + ';') > 0;
end;

procedure AddAppToPath;
var
  Path: String;
begin
  if not RegQueryStringValue(PathRoot, PathKey, 'Path', Path) then
    Path := '';
  if PathHasDir(Path, ExpandConstant('{app}')) then
    exit;
  if (Path <> '') and (Copy(Path, Length(Path), 1) <> ';') then
    Path := Path + ';';
  RegWriteExpandStringValue(PathRoot, PathKey, 'Path', Path + ExpandConstant('{app}'));
end;

procedure RemoveAppFromPath;
var
  Path, Dir: String;
  P: Integer;
begin
  if not RegQueryStringValue(PathRoot, PathKey, 'Path', Path) then
    exit;
  Dir := ExpandConstant('{app}');
  Path := ';' + Path + ';';
  P := Pos(';' + Uppercase(Dir) + ';', Uppercase(Path));
  if P = 0 then
    exit;
  Delete(Path, P, Length(Dir) + 1);
  // Strip the separators added above.
  Path := Copy(Path, 2, Length(Path) - 2);
  RegWriteExpandStringValue(PathRoot, PathKey, 'Path', Path);
end;

procedure CurStepChanged(CurStep: TSetupStep);
begin
  if (CurStep = ssPostInstall) and WizardIsTaskSelected('addtopath') then
    AddAppToPath;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
  begin
    RemoveAppFromPath;
    if DirExists(ExpandConstant('{localappdata}\PrivacyCRM')) and not UninstallSilent then
      MsgBox(FmtMessage(CustomMessage('DataKept'), [ExpandConstant('{localappdata}\PrivacyCRM')]),
        mbInformation, MB_OK);
  end;
end;
