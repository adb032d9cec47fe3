// The error a setting's wrong value raises: its message is one line that names the setting and
// says what to set; the process prints it and exits 78.
export class SettingsError extends Error {
  override name = "SettingsError";
}
