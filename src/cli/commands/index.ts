/** Every command of `overlab`, in the order `overlab --help` lists them: the only list. */
import type { CliCommand } from '../common.js';
import { adviseCommand } from './advise.js';
import { campaignCommand } from './campaign.js';
import { conditionsCommand } from './conditions.js';
import { demoCommand } from './demo.js';
import { deployCommand, teardownCommand } from './deploy.js';
import { exportCommand } from './export.js';
import { kindsCommand } from './kinds.js';
import { labCommand } from './lab.js';
import { measureCommand } from './measure.js';
import { newCommand } from './new.js';
import { planCommand } from './plan.js';
import { renderCommand } from './render.js';
import { reportCommand } from './report.js';
import { serveCommand } from './serve.js';
import { validateCommand } from './validate.js';

export const COMMANDS: readonly CliCommand[] = [newCommand, validateCommand, kindsCommand, planCommand, renderCommand, deployCommand, teardownCommand, measureCommand, conditionsCommand, campaignCommand, adviseCommand, reportCommand, exportCommand, labCommand, serveCommand, demoCommand];
