// aws-local-stepfunctions@3 uses Promise.withResolvers, which Node 20 lacks.
import '../local/polyfills';
