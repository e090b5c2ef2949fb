// Aggregates, which pg_get_functiondef refuses: their CREATE AGGREGATE written from pg_aggregate as
// pg_dump writes it (state function and type, final, combine, serial and moving-aggregate functions,
// initial conditions, sort operator, parallel safety). The same text is read on both sides, so it is
// both what the run executes and what the after-run check compares. Read with search_path pg_catalog,
// every function and type of the source's schemas comes out qualified.

/** A function of pg_aggregate as CREATE AGGREGATE names it (regproc: its name, qualified when needed). */
const fn = (col: string, key: string) =>
  `CASE WHEN ag.${col} <> 0 THEN ', ${key} = ' || ag.${col}::regproc::text ELSE '' END`;
const modify = (col: string, key: string, fin: string) =>
  `CASE WHEN ag.${fin} <> 0 THEN ', ${key} = ' || CASE ag.${col} WHEN 'r' THEN 'READ_ONLY' WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END ELSE '' END`;

/**
 * The CREATE AGGREGATE of the aggregate whose pg_proc oid is `oid` (an SQL expression), or NULL when
 * it is none. An aggregate without arguments is `name(*)`; an ordered-set one's arguments say ORDER BY.
 */
export const aggregateDef = (oid: string) => `(SELECT
    'CREATE AGGREGATE ' || format('%I.%I', an.nspname, ap.proname) ||
    '(' || CASE WHEN ap.pronargs = 0 THEN '*' ELSE pg_get_function_arguments(ap.oid) END || ') (' ||
    'SFUNC = ' || ag.aggtransfn::regproc::text || ', STYPE = ' || format_type(ag.aggtranstype, NULL) ||
    CASE WHEN ag.aggtransspace <> 0 THEN ', SSPACE = ' || ag.aggtransspace ELSE '' END ||
    ${fn('aggfinalfn', 'FINALFUNC')} ||
    CASE WHEN ag.aggfinalextra THEN ', FINALFUNC_EXTRA' ELSE '' END ||
    ${modify('aggfinalmodify', 'FINALFUNC_MODIFY', 'aggfinalfn')} ||
    ${fn('aggcombinefn', 'COMBINEFUNC')} || ${fn('aggserialfn', 'SERIALFUNC')} ||
    ${fn('aggdeserialfn', 'DESERIALFUNC')} ||
    coalesce(', INITCOND = ' || quote_literal(ag.agginitval), '') ||
    ${fn('aggmtransfn', 'MSFUNC')} || ${fn('aggminvtransfn', 'MINVFUNC')} ||
    CASE WHEN ag.aggmtranstype <> 0 THEN ', MSTYPE = ' || format_type(ag.aggmtranstype, NULL) ELSE '' END ||
    CASE WHEN ag.aggmtransspace <> 0 THEN ', MSSPACE = ' || ag.aggmtransspace ELSE '' END ||
    ${fn('aggmfinalfn', 'MFINALFUNC')} ||
    CASE WHEN ag.aggmfinalextra THEN ', MFINALFUNC_EXTRA' ELSE '' END ||
    ${modify('aggmfinalmodify', 'MFINALFUNC_MODIFY', 'aggmfinalfn')} ||
    coalesce(', MINITCOND = ' || quote_literal(ag.aggminitval), '') ||
    coalesce((SELECT ', SORTOP = OPERATOR(' || quote_ident(son.nspname) || '.' || so.oprname || ')'
                FROM pg_operator so JOIN pg_namespace son ON son.oid = so.oprnamespace WHERE so.oid = ag.aggsortop), '') ||
    CASE ap.proparallel WHEN 's' THEN ', PARALLEL = SAFE' WHEN 'r' THEN ', PARALLEL = RESTRICTED' ELSE '' END ||
    CASE WHEN ag.aggkind = 'h' THEN ', HYPOTHETICAL' ELSE '' END || ')'
  FROM pg_proc ap JOIN pg_namespace an ON an.oid = ap.pronamespace JOIN pg_aggregate ag ON ag.aggfnoid = ap.oid
 WHERE ap.oid = ${oid})`;
