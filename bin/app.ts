#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildApp } from './service-app';

// Synthesized when the process exits (the CDK CLI sets CDK_OUTDIR, which turns on autoSynth).
buildApp(new App());
