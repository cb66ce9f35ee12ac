/** The console's built assets, as the console function finds them: what `buildConsoleAssets` writes. */
export interface ConsoleManifest {
  /** The bundle's file name, which carries its content hash. */
  script: string;
  /** Every file the function may serve, by name. */
  files: string[];
}

/** The manifest's file name, beside the assets. */
export const CONSOLE_MANIFEST = 'manifest.json';
