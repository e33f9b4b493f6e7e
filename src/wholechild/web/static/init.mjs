// Starts GOV.UK Frontend's components (error summary focus, details, service navigation...).
import { initAll } from '/static/govuk/govuk-frontend.min.js'

initAll()
